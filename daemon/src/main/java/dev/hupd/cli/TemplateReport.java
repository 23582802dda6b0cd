package dev.hupd.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hupd.host.Daemon;
import dev.hupd.template.TemplateCheck;
import dev.hupd.template.TemplateProblem;
import dev.hupd.template.TemplateReader;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Optional;

/** Prints {@code hupd check --template}: findings on stderr, what was checked on stdout. */
final class TemplateReport {

  private TemplateReport() {}

  static int print(Path file, Optional<String> resource, PrintWriter out, PrintWriter err) {
    JsonNode template;
    try {
      template = TemplateReader.read(file);
    } catch (TemplateReader.TemplateException e) {
      err.println("error: " + e.getMessage());
      err.flush();
      return Daemon.EXIT_CONFIG;
    }
    TemplateCheck.Report report = TemplateCheck.check(template, resource);
    for (TemplateProblem p : report.problems()) {
      err.println(p.severity().name().toLowerCase(Locale.ROOT) + ": " + file + ": " + p);
    }
    report.lines().forEach(out::println);
    if (report.errors() > 0) {
      err.println(report.errors() + " problem(s) found.");
      err.flush();
      out.flush();
      return Daemon.EXIT_CONFIG;
    }
    err.flush();
    out.println("OK: " + file);
    out.flush();
    return Daemon.EXIT_OK;
  }
}
