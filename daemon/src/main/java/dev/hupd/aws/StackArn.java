package dev.hupd.aws;

import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Reads the parts of a CloudFormation stack ARN. */
final class StackArn {

  private static final Pattern ARN =
      Pattern.compile(
          "arn:(?<partition>[a-z-]+):cloudformation:(?<region>[a-z0-9-]+):\\d{12}:stack/.+");

  private StackArn() {}

  static Optional<String> region(String stack) {
    Matcher m = ARN.matcher(stack);
    return m.matches() ? Optional.of(m.group("region")) : Optional.empty();
  }
}
