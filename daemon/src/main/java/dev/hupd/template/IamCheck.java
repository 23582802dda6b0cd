package dev.hupd.template;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Checks that the instance profile of the resource hupd runs on allows exactly the calls hupd
 * makes: a missing permission is an error (a warning when managed policies outside the template may
 * grant it), one granted through {@code *} a warning.
 */
final class IamCheck {

  /**
   * One call hupd makes.
   *
   * @param action e.g. {@code ssm:GetParameters}
   * @param sample a resource the call is made on, with placeholders for deploy-time values
   * @param expected the resource form to suggest
   * @param why which setting makes hupd call it
   */
  record Need(String action, String sample, String expected, String why) {}

  private record Statement(
      String where, boolean allow, List<String> actions, List<String> resources) {}

  private final JsonNode resources;
  private final Intrinsics intrinsics;
  private final List<TemplateProblem> problems;
  private final List<String> lines;

  IamCheck(
      JsonNode template,
      Intrinsics intrinsics,
      List<TemplateProblem> problems,
      List<String> lines) {
    this.resources = template.path("Resources");
    this.intrinsics = intrinsics;
    this.problems = problems;
    this.lines = lines;
  }

  void check(String logicalId, List<Need> needs) {
    if (needs.isEmpty()) {
      return;
    }
    String at = "Resources." + logicalId;
    Optional<String> role = role(logicalId, at);
    if (role.isEmpty()) {
      return;
    }
    List<Statement> statements = new ArrayList<>();
    boolean managed = collect(role.get(), statements);
    for (Need need : needs) {
      judge(role.get(), need, statements, managed);
    }
  }

  /** The role behind the resource's instance profile, or empty (with the problem recorded). */
  private Optional<String> role(String logicalId, String at) {
    JsonNode props = resources.path(logicalId).path("Properties");
    String type = resources.path(logicalId).path("Type").asText();
    JsonNode profile =
        type.equals("AWS::EC2::LaunchTemplate")
            ? firstPresent(
                props.path("LaunchTemplateData").path("IamInstanceProfile").path("Arn"),
                props.path("LaunchTemplateData").path("IamInstanceProfile").path("Name"))
            : props.path("IamInstanceProfile");
    String where =
        type.equals("AWS::EC2::LaunchTemplate")
            ? at + ".Properties.LaunchTemplateData.IamInstanceProfile"
            : at + ".Properties.IamInstanceProfile";
    if (profile.isMissingNode()) {
      problems.add(
          TemplateProblem.error(
              where,
              "no instance profile: hupd on these instances has no credentials for its AWS calls"
                  + " (cfn-hup can do without, hupd cannot)",
              "IamInstanceProfile naming an AWS::IAM::InstanceProfile of this template"));
      return Optional.empty();
    }
    Optional<String> profileId = logicalIdOf(profile);
    if (profileId.isEmpty()
        || !resources
            .path(profileId.get())
            .path("Type")
            .asText()
            .equals("AWS::IAM::InstanceProfile")) {
      problems.add(
          TemplateProblem.warning(
              where,
              "the instance profile is not defined in this template; its permissions are not checked",
              "!GetAtt <InstanceProfile>.Arn or !Ref <InstanceProfile>"));
      return Optional.empty();
    }
    JsonNode roles = resources.path(profileId.get()).path("Properties").path("Roles");
    Optional<String> role =
        roles.isArray() && roles.size() == 1 ? logicalIdOf(roles.get(0)) : Optional.empty();
    if (role.isEmpty() || !resources.has(role.get())) {
      problems.add(
          TemplateProblem.warning(
              "Resources." + profileId.get() + ".Properties.Roles",
              "the role is not defined in this template; its permissions are not checked",
              "Roles: [!Ref <AWS::IAM::Role of this template>]"));
      return Optional.empty();
    }
    lines.add("iam: role " + role.get() + " (instance profile " + profileId.get() + ")");
    return role;
  }

  private static JsonNode firstPresent(JsonNode a, JsonNode b) {
    return a.isMissingNode() ? b : a;
  }

  /** {@code !Ref X} or {@code !GetAtt X.Arn} → X. */
  private static Optional<String> logicalIdOf(JsonNode node) {
    if (node.has("Ref")) {
      return Optional.of(node.get("Ref").asText());
    }
    JsonNode att = node.path("Fn::GetAtt");
    return att.isArray() && att.size() > 0 ? Optional.of(att.get(0).asText()) : Optional.empty();
  }

  /** Statements of the role's inline policies and of the template's policies attached to it. */
  private boolean collect(String role, List<Statement> out) {
    JsonNode props = resources.path(role).path("Properties");
    JsonNode policies = props.path("Policies");
    for (int i = 0; i < policies.size(); i++) {
      String at = "Resources." + role + ".Properties.Policies[" + i + "].PolicyDocument";
      statements(policies.get(i).path("PolicyDocument"), at, out);
    }
    for (var it = resources.fields(); it.hasNext(); ) {
      var e = it.next();
      String type = e.getValue().path("Type").asText();
      if ((type.equals("AWS::IAM::Policy") || type.equals("AWS::IAM::ManagedPolicy"))
          && e.getValue()
              .path("Properties")
              .path("Roles")
              .toString()
              .contains("\"" + role + "\"")) {
        String at = "Resources." + e.getKey() + ".Properties.PolicyDocument";
        statements(e.getValue().path("Properties").path("PolicyDocument"), at, out);
      }
    }
    return props.path("ManagedPolicyArns").size() > 0;
  }

  private void statements(JsonNode document, String at, List<Statement> out) {
    JsonNode list = document.path("Statement");
    List<JsonNode> items = new ArrayList<>();
    if (list.isArray()) {
      list.forEach(items::add);
    } else if (list.isObject()) {
      items.add(list);
    }
    for (int i = 0; i < items.size(); i++) {
      JsonNode s = items.get(i);
      boolean allow = !s.path("Effect").asText().equals("Deny");
      out.add(
          new Statement(
              at + ".Statement[" + i + "]",
              allow,
              texts(s.has("Action") ? s.get("Action") : s.path("NotAction"), s.has("NotAction")),
              texts(
                  s.has("Resource") ? s.get("Resource") : s.path("NotResource"),
                  s.has("NotResource"))));
    }
  }

  /** The statement's values resolved; a Not* element is taken as "*" (broad, so warned about). */
  private List<String> texts(JsonNode node, boolean negated) {
    if (negated) {
      return List.of("*");
    }
    List<String> out = new ArrayList<>();
    if (node.isArray()) {
      node.forEach(n -> out.add(intrinsics.text(n).text()));
    } else if (!node.isMissingNode()) {
      out.add(intrinsics.text(node).text());
    }
    return out;
  }

  private void judge(String role, Need need, List<Statement> statements, boolean managed) {
    Statement exact = null;
    Statement broad = null;
    for (Statement s : statements) {
      boolean action =
          s.actions().stream().anyMatch(a -> ArnPatterns.actionCovers(a, need.action()));
      boolean resource = s.resources().stream().anyMatch(r -> ArnPatterns.covers(r, need.sample()));
      if (!action || !resource) {
        continue;
      }
      if (!s.allow()) {
        problems.add(
            TemplateProblem.error(
                s.where(),
                need.action() + " is denied; hupd needs it " + need.why(),
                "no Deny of it"));
        return;
      }
      boolean wide =
          s.actions().stream()
                  .anyMatch(a -> a.contains("*") && ArnPatterns.actionCovers(a, need.action()))
              || s.resources().contains("*");
      if (wide && broad == null) {
        broad = s;
      } else if (!wide && exact == null) {
        exact = s;
      }
    }
    if (exact != null) {
      lines.add("iam: " + need.action() + " allowed by " + exact.where());
    } else if (broad != null) {
      problems.add(
          TemplateProblem.warning(
              broad.where(),
              need.action() + " is allowed only through a wildcard, more than hupd needs",
              need.action() + " on " + need.expected()));
    } else {
      String message =
          "role " + role + " does not allow " + need.action() + ", which hupd calls " + need.why();
      if (need.action().startsWith("cloudformation:")) {
        // cfn-hup signs with the instance identity document when it has no credentials; hupd
        // uses the instance role (README, Caveats), so a template that works for cfn-hup fails
        message += " (cfn-hup can do without it, hupd cannot)";
      }
      problems.add(
          managed
              ? TemplateProblem.warning(
                  "Resources." + role + ".Properties",
                  message + " (unless one of its ManagedPolicyArns does)",
                  "a statement allowing " + need.action() + " on " + need.expected())
              : TemplateProblem.error(
                  "Resources." + role + ".Properties.Policies",
                  message,
                  "a statement allowing " + need.action() + " on " + need.expected()));
    }
  }
}
