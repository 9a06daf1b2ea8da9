package io.tessera.app;

import io.tessera.app.eval.EvalCommand;
import io.tessera.core.ErrorText;
import io.tessera.core.TesseraException;
import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code tessera} command line.
 *
 * <p>Exit codes: 0 success; 1 a reported error (bad input, bad file, failed check: one line on
 * stderr, {@code --stacktrace} for details); 2 a usage error (unknown flag, bad flag value);
 * 3 an internal error (a bug: the stack trace is printed). Every message is passed through
 * {@link ErrorText#printable}: values from files cannot print control characters or run for megabytes.
 */
@Command(name = "tessera", mixinStandardHelpOptions = true, versionProvider = Tessera.Version.class,
        description = "Fast autoregressive image generation by parallel decoding.",
        subcommands = {GenerateCommand.class, InspectCommand.class, ConvertCommand.class, OrdersCommand.class, BenchCommand.class, TrainCommand.class, EvalCommand.class,
                io.tessera.app.serve.ServeCommand.class, io.tessera.app.serve.ServeBenchCommand.class, CommandLine.HelpCommand.class},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:success", "1:error in the input or a failed check (one line; --stacktrace for details)",
                "2:usage error", "3:internal error"})
public final class Tessera {
    public static final int EXIT_ERROR = 1;
    public static final int EXIT_USAGE = 2;
    public static final int EXIT_INTERNAL = 3;

    public static void main(String[] args) {
        System.exit(run(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
    }

    /** Runs the CLI and returns its exit code (used by tests). */
    public static int run(String[] args, PrintWriter out, PrintWriter err) {
        CommandLine cl = new CommandLine(new Tessera());
        cl.setOut(out);
        cl.setErr(err);
        cl.setExitCodeExceptionMapper(t -> t instanceof TesseraException ? EXIT_ERROR : EXIT_INTERNAL);
        cl.setParameterExceptionHandler((ex, a) -> {
            // One line that stands alone (exit 2): the message, then where the usage is.
            String cmd = ex.getCommandLine().getCommandName().equals("tessera") ? "" : ex.getCommandLine().getCommandName() + " ";
            err.println("tessera: " + ErrorText.printable(ex.getMessage()) + " (usage: tessera " + cmd + "--help)");
            return EXIT_USAGE;
        });
        cl.setExecutionExceptionHandler((ex, c, parsed) -> {
            boolean trace = parsed.hasMatchedOption("--stacktrace");
            if (ex instanceof TesseraException) {
                err.println("tessera: " + ErrorText.printable(ex.getMessage()));
                if (trace) {
                    ex.printStackTrace(err);
                }
                return EXIT_ERROR;
            }
            err.println("tessera: internal error: " + ErrorText.printable(ex.toString()));
            ex.printStackTrace(err);
            return EXIT_INTERNAL;
        });
        int rc = cl.execute(args);
        out.flush();
        err.flush();
        return rc;
    }

    /** Version from the jar manifest. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Tessera.class.getPackage().getImplementationVersion();
            return new String[] {"tessera " + (v == null ? "dev" : v) + " (Java " + Runtime.version() + ")"};
        }
    }
}
