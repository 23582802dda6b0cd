package dev.hupd.template;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** YAML short-form tags become CloudFormation's long form; JSON templates read as they are. */
class TemplateReaderTest {

  static Stream<Arguments> shortForms() {
    return Stream.of(
        Arguments.of("ref", "v: !Ref VpcId", "{\"Ref\":\"VpcId\"}"),
        Arguments.of(
            "sub", "v: !Sub '${AWS::StackName}-a'", "{\"Fn::Sub\":\"${AWS::StackName}-a\"}"),
        Arguments.of(
            "getAttSplitsAtTheFirstDot",
            "v: !GetAtt Db.Endpoint.Address",
            "{\"Fn::GetAtt\":[\"Db\",\"Endpoint.Address\"]}"),
        Arguments.of(
            "joinWithNestedRef",
            "v: !Join ['', [a, !Ref B]]",
            "{\"Fn::Join\":[\"\",[\"a\",{\"Ref\":\"B\"}]]}"),
        Arguments.of(
            "subListForm",
            "v: !Sub ['${X}', {X: !Ref Y}]",
            "{\"Fn::Sub\":[\"${X}\",{\"X\":{\"Ref\":\"Y\"}}]}"),
        Arguments.of(
            "base64OfSubBlock",
            "v:\n  Fn::Base64: !Sub |\n    a=${AWS::Region}\n",
            "{\"Fn::Base64\":{\"Fn::Sub\":\"a=${AWS::Region}\\n\"}}"),
        Arguments.of(
            "ifAndEquals",
            "v: !If [IsProd, !Equals [a, b], !Ref AWS::NoValue]",
            "{\"Fn::If\":[\"IsProd\",{\"Fn::Equals\":[\"a\",\"b\"]},{\"Ref\":\"AWS::NoValue\"}]}"),
        Arguments.of("getAZs", "v: !GetAZs ''", "{\"Fn::GetAZs\":\"\"}"),
        Arguments.of("condition", "v: !Condition IsProd", "{\"Condition\":\"IsProd\"}"),
        Arguments.of("standardTagKeepsTheValue", "v: !!str 0400", "\"0400\""),
        Arguments.of("numbersStayNumbers", "v: 2", "2"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("shortForms")
  void shortFormTagsBecomeTheLongForm(String name, String yaml, String json) throws Exception {
    JsonNode v = TemplateReader.parse(yaml, "t.yaml").get("v");

    assertThat(v).isEqualTo(new ObjectMapper().readTree(json));
  }

  @Test
  void jsonTemplatesAreReadAsJson() throws Exception {
    JsonNode t = TemplateReader.parse("{\"Resources\": {\"A\": {\"Type\": \"X\"}}}", "t.json");

    assertThat(t.path("Resources").path("A").path("Type").asText()).isEqualTo("X");
  }

  @Test
  void notAMappingIsRefused() {
    assertThatThrownBy(() -> TemplateReader.parse("- a\n- b\n", "t.yaml"))
        .isInstanceOf(TemplateReader.TemplateException.class)
        .hasMessageContaining("t.yaml")
        .hasMessageContaining("mapping");
  }
}
