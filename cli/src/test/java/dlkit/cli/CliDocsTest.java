package dlkit.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * docs/cli.md is generated from the commands' own help, so it names every command and option that exists and no
 * other. After changing an option: {@code mvn -pl cli test -Dtest=CliDocsTest -Ddlkit.writeDocs=true}.
 */
class CliDocsTest {
    static final Path DOC = Path.of("..", "docs", "cli.md").toAbsolutePath().normalize();

    static String render() {
        CommandLine dl = new CommandLine(new Dl());
        HelpText.wrap(dl);
        StringBuilder sb = new StringBuilder();
        sb.append("# The `dl` command\n\n");
        sb.append("Generated from the commands' help by `CliDocsTest` (which fails when this page and the code disagree).\n");
        sb.append("Exit codes: 0 success, 1 a run that failed (a diverged loss), 2 bad usage, config or data, 128 + n after\n");
        sb.append("signal n (`dl train` saves a checkpoint first).\n\n");
        sb.append("```\n").append(dl.getUsageMessage(CommandLine.Help.Ansi.OFF)).append("```\n");
        for (Map.Entry<String, CommandLine> e : dl.getSubcommands().entrySet()) {
            if (e.getKey().equals("help") || e.getKey().equals("generate-completion")) {
                continue;
            }
            sb.append("\n## `dl ").append(e.getKey()).append("`\n\n```\n")
                    .append(e.getValue().getUsageMessage(CommandLine.Help.Ansi.OFF)).append("```\n");
        }
        return sb.toString();
    }

    /** The help as a terminal shows it: 80 columns, and broken between words only (never "model.\ndlk"). */
    @Test
    void helpFitsEightyColumnsAndBreaksBetweenWords() {
        CommandLine dl = new CommandLine(new Dl());
        HelpText.wrap(dl);
        List<String> pages = new java.util.ArrayList<>(List.of(dl.getUsageMessage(CommandLine.Help.Ansi.OFF)));
        dl.getSubcommands().values().forEach(c -> pages.add(c.getUsageMessage(CommandLine.Help.Ansi.OFF)));
        for (String page : pages) {
            List<String> lines = page.lines().toList();
            for (int line = 0; line < lines.size(); line++) {
                int i = line;
                assertTrue(lines.get(i).length() <= 80, "over 80 columns: " + lines.get(i));
                // Java's line breaker splits after a dot: "model." then "dlk" on the next line.
                // (A continuation is a paragraph line, or one indented into a description column; "  evaluate" starts an entry.)
                boolean brokenAtDot = i + 1 < lines.size() && lines.get(i).matches(".*\\S[.]$") && lines.get(i + 1).matches("^(|\\s{5,})[a-z].*");
                assertTrue(!brokenAtDot, () -> "a word broken at a dot:\n" + String.join("\n", lines.subList(i, i + 2)));
            }
        }
    }

    @Test
    void docsCliMdIsTheCommandsHelp() throws IOException {
        String expected = render();
        if (Boolean.getBoolean("dlkit.writeDocs")) {
            Files.writeString(DOC, expected, StandardCharsets.UTF_8);
        }
        String actual = Files.exists(DOC) ? Files.readString(DOC, StandardCharsets.UTF_8) : "";
        assertEquals(expected, actual, "docs/cli.md is out of date: mvn -pl cli test -Dtest=CliDocsTest -Ddlkit.writeDocs=true");
    }
}
