package dev.hupd.testing;

import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Small helpers shared by the fakes for reading requests and writing answers. */
final class HttpExchanges {

  private HttpExchanges() {}

  /** The whole request body as UTF-8 text ("" when there is none). */
  static String readBody(HttpExchange exchange) throws IOException {
    try (InputStream in = exchange.getRequestBody()) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  /** Request headers with lower-cased names; repeated headers are joined with ",". */
  static Map<String, String> lowerCaseHeaders(Headers headers) {
    Map<String, String> result = new LinkedHashMap<>();
    for (Map.Entry<String, List<String>> header : headers.entrySet()) {
      result.put(header.getKey().toLowerCase(Locale.ROOT), String.join(",", header.getValue()));
    }
    return result;
  }

  /**
   * Decodes {@code a=1&b=x%20y} (a query string or an x-www-form-urlencoded body) into {@code
   * into}; a later key overwrites an earlier one.
   */
  static void decodeForm(String encoded, Map<String, String> into) {
    if (encoded == null || encoded.isEmpty()) {
      return;
    }
    for (String pair : encoded.split("&")) {
      if (pair.isEmpty()) {
        continue;
      }
      int eq = pair.indexOf('=');
      String key = eq < 0 ? pair : pair.substring(0, eq);
      String value = eq < 0 ? "" : pair.substring(eq + 1);
      into.put(decode(key), decode(value));
    }
  }

  /** Sends a complete answer and closes the exchange. */
  static void send(HttpExchange exchange, int status, String contentType, String body)
      throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    if (contentType != null) {
      exchange.getResponseHeaders().set("Content-Type", contentType);
    }
    exchange.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(bytes);
    }
  }

  /**
   * Closes the connection without writing a single byte of response: the JDK server closes the
   * socket when an exchange is closed before its headers were sent.
   */
  static void dropConnection(HttpExchange exchange) {
    exchange.close();
  }

  /**
   * Waits {@code delay} (a scripted fault) before answering. False if interrupted, i.e. the fake is
   * stopping: the caller then drops the connection.
   */
  static boolean sleep(Duration delay) {
    if (delay.isZero()) {
      return true;
    }
    try {
      Thread.sleep(delay.toMillis());
      return true;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  private static String decode(String text) {
    return URLDecoder.decode(text, StandardCharsets.UTF_8);
  }
}
