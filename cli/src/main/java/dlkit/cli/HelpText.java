package dlkit.cli;

import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;

/**
 * Help that wraps between words only. picocli wraps with Java's line BreakIterator, which breaks after a dot
 * ("model.\ndlk", "e.\ng."); so every description is wrapped here, at spaces, to lines that fit the help's columns,
 * and picocli never has to break one.
 */
final class HelpText {
    /** Command descriptions span the 80-column help; option descriptions sit in a column about 54 wide. */
    static final int COMMAND_WIDTH = 78;
    static final int OPTION_WIDTH = 50;

    private HelpText() {}

    static void wrap(CommandLine cli) {
        CommandSpec spec = cli.getCommandSpec();
        spec.usageMessage().description(wrap(spec.usageMessage().description(), COMMAND_WIDTH));
        for (ArgSpec arg : new ArrayList<>(spec.args())) {
            String[] wrapped = wrap(arg.description(), OPTION_WIDTH);
            if (wrapped.length == arg.description().length) {
                continue;
            }
            spec.remove(arg);
            if (arg instanceof OptionSpec o) {
                spec.addOption(o.toBuilder().description(wrapped).build());
            } else if (arg instanceof PositionalParamSpec p) {
                spec.addPositional(p.toBuilder().description(wrapped).build());
            }
        }
        cli.getSubcommands().values().forEach(HelpText::wrap);
    }

    /** Each line of {@code text} split at spaces into lines of at most {@code width} characters. */
    static String[] wrap(String[] text, int width) {
        List<String> out = new ArrayList<>();
        for (String paragraph : text) {
            StringBuilder line = new StringBuilder();
            for (String word : paragraph.split(" ")) {
                if (line.length() > 0 && line.length() + 1 + word.length() > width) {
                    out.add(line.toString());
                    line.setLength(0);
                }
                line.append(line.length() > 0 ? " " : "").append(word);
            }
            out.add(line.toString());
        }
        return out.toArray(new String[0]);
    }
}
