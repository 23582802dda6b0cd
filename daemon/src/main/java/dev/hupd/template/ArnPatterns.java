package dev.hupd.template;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * IAM wildcard matching of statically resolved texts. {@code *} and {@code ?} are IAM's; a
 * placeholder ({@code ${AWS::Region}}) on either side stands for one unknown ARN segment, so it
 * matches the same placeholder, or any literal run without {@code :} or {@code /}. This errs
 * towards "covered" when a value is only known at deploy time.
 */
final class ArnPatterns {

  private static final Pattern PLACEHOLDER = Pattern.compile("\\$\\{[^}]*\\}");

  private ArnPatterns() {}

  /**
   * Whether the IAM action pattern {@code pattern} (e.g. {@code ssm:Get*}) allows {@code action}.
   */
  static boolean actionCovers(String pattern, String action) {
    return covers(pattern.toLowerCase(Locale.ROOT), action.toLowerCase(Locale.ROOT));
  }

  /** Whether the resource pattern {@code pattern} covers the sample {@code resource}. */
  static boolean covers(String pattern, String resource) {
    return match(tokens(pattern), 0, tokens(resource), 0);
  }

  private static List<String> tokens(String text) {
    List<String> out = new ArrayList<>();
    Matcher m = PLACEHOLDER.matcher(text);
    int i = 0;
    while (m.find()) {
      text.substring(i, m.start()).codePoints().forEach(c -> out.add(Character.toString(c)));
      out.add(m.group());
      i = m.end();
    }
    text.substring(i).codePoints().forEach(c -> out.add(Character.toString(c)));
    return out;
  }

  private static boolean placeholder(String token) {
    return token.length() > 1;
  }

  private static boolean separator(String token) {
    return token.equals(":") || token.equals("/");
  }

  private static boolean match(List<String> p, int i, List<String> s, int j) {
    if (i == p.size()) {
      return j == s.size();
    }
    String pt = p.get(i);
    if (pt.equals("*")) {
      return match(p, i + 1, s, j) || (j < s.size() && match(p, i, s, j + 1));
    }
    if (j == s.size()) {
      return false;
    }
    String st = s.get(j);
    if (pt.equals("?") || pt.equals(st)) {
      return match(p, i + 1, s, j + 1);
    }
    if (placeholder(pt)) {
      for (int k = j; k < s.size() && !separator(s.get(k)); k++) {
        if (match(p, i + 1, s, k + 1)) {
          return true;
        }
      }
      return false;
    }
    if (placeholder(st)) {
      for (int k = i; k < p.size() && !separator(p.get(k)) && !p.get(k).equals("*"); k++) {
        if (match(p, k + 1, s, j + 1)) {
          return true;
        }
      }
    }
    return false;
  }
}
