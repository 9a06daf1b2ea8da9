package io.tessera.app;

import io.tessera.core.plugin.PluginRegistry;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/** Options every command shares. */
public final class CommonOptions {
    @Option(names = "--stacktrace", description = "Print the stack trace of an error.")
    boolean stacktrace;

    @Option(names = "--plugins", paramLabel = "DIR", description = "A directory of plugin jars/zips (repeatable). Default: $TESSERA_PLUGINS if set.")
    List<Path> plugins = new ArrayList<>();

    /** The plugin registry: built-ins plus the plugins of {@code --plugins} (or {@code $TESSERA_PLUGINS}). */
    public PluginRegistry registry() {
        List<Path> dirs = new ArrayList<>(plugins);
        String env = System.getenv("TESSERA_PLUGINS");
        if (dirs.isEmpty() && env != null && !env.isBlank()) {
            for (String p : env.split(java.io.File.pathSeparator)) {
                dirs.add(Path.of(p));
            }
        }
        return PluginRegistry.load(dirs);
    }
}
