package dev.hupd.template;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Valid-looking stand-ins for placeholders, so that hupd's parsers accept a value known only at
 * deploy time ({@code region=${AWS::Region}}) and go on to check the rest of the file; findings are
 * turned back into the placeholders' spelling before they are shown.
 */
final class StandIns {

  private final Map<String, String> byPlaceholder = new LinkedHashMap<>();

  /** {@code text} with each placeholder in it replaced by its stand-in. */
  String apply(String text, Iterable<String> placeholders) {
    String out = text;
    for (String p : placeholders) {
      out = out.replace(p, standIn(p));
    }
    return out;
  }

  /** {@code text} with stand-ins turned back into placeholders. */
  String restore(String text) {
    String out = text;
    for (Map.Entry<String, String> e : byPlaceholder.entrySet()) {
      out = out.replace(e.getValue(), e.getKey());
    }
    return out;
  }

  private String standIn(String placeholder) {
    int n = byPlaceholder.size();
    // A region must look like one (cfn-hup.conf's region=); other names are plain words that fit
    // the fleet, agent and path patterns.
    return byPlaceholder.computeIfAbsent(
        placeholder, p -> p.equals("${AWS::Region}") ? "xx-standin-" + n : "standin" + n + "x");
  }
}
