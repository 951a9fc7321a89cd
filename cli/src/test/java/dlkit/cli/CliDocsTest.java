package dlkit.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
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
        dl.setUsageHelpWidth(110);
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
            e.getValue().setUsageHelpWidth(110);
            sb.append("\n## `dl ").append(e.getKey()).append("`\n\n```\n")
                    .append(e.getValue().getUsageMessage(CommandLine.Help.Ansi.OFF)).append("```\n");
        }
        return sb.toString();
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
