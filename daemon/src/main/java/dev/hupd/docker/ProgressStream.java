package dev.hupd.docker;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * The JSON-lines progress that {@code /images/create} and {@code /build} stream. dockerd answers
 * 200 before it knows the outcome, so a failure after that arrives as an {@code error} / {@code
 * errorDetail} line, not as a status: the stream must be read to its end to know.
 */
final class ProgressStream {

  private static final ObjectMapper JSON = new ObjectMapper();

  private ProgressStream() {}

  /**
   * Hands each line to {@code eachLine} until the stream ends or an error line arrives.
   *
   * @return the error line's message, empty when the stream ended without one
   */
  static Optional<String> read(InputStream in, Consumer<JsonNode> eachLine) throws IOException {
    try (MappingIterator<JsonNode> lines = JSON.readerFor(JsonNode.class).readValues(in)) {
      while (lines.hasNextValue()) {
        JsonNode line = lines.nextValue();
        Optional<String> error = error(line);
        if (error.isPresent()) {
          return error;
        }
        eachLine.accept(line);
      }
    }
    return Optional.empty();
  }

  static Optional<String> error(JsonNode line) {
    String detail = line.path("errorDetail").path("message").asText("");
    if (!detail.isEmpty()) {
      return Optional.of(detail);
    }
    if (line.hasNonNull("error")) {
      String error = line.get("error").asText("");
      return Optional.of(error.isEmpty() ? line.toString() : error);
    }
    if (line.has("errorDetail")) {
      return Optional.of(line.toString());
    }
    return Optional.empty();
  }
}
