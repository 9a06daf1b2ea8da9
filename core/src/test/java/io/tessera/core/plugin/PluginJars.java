package io.tessera.core.plugin;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;

/** Builds a real PF4J plugin jar from Java sources at test time (compiled against the test class path). */
public final class PluginJars {
    private PluginJars() {
    }

    /**
     * Compiles {@code sources} (fully qualified class name → source), writes
     * {@code META-INF/extensions.idx} listing {@code extensions}, and packs a jar with a PF4J manifest.
     */
    public static Path build(Path dir, String pluginId, Map<String, String> sources, List<String> extensions) throws IOException {
        Path src = Files.createTempDirectory(dir, "src");
        Path classes = Files.createTempDirectory(dir, "classes");
        List<String> files = new ArrayList<>();
        for (var e : sources.entrySet()) {
            Path f = src.resolve(e.getKey().replace('.', '/') + ".java");
            Files.createDirectories(f.getParent());
            Files.writeString(f, e.getValue());
            files.add(f.toString());
        }
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        List<String> args = new ArrayList<>(List.of("-proc:none", "-d", classes.toString(), "-cp", System.getProperty("java.class.path")));
        args.addAll(files);
        int rc = javac.run(null, null, null, args.toArray(String[]::new));
        if (rc != 0) {
            throw new IOException("javac failed for plugin " + pluginId);
        }
        Path idx = classes.resolve("META-INF/extensions.idx");
        Files.createDirectories(idx.getParent());
        Files.writeString(idx, String.join("\n", extensions) + "\n");
        Manifest mf = new Manifest();
        Attributes a = mf.getMainAttributes();
        a.put(Attributes.Name.MANIFEST_VERSION, "1.0");
        a.putValue("Plugin-Id", pluginId);
        a.putValue("Plugin-Version", "1.0.0");
        Path jar = dir.resolve(pluginId + ".jar");
        try (OutputStream os = Files.newOutputStream(jar); JarOutputStream jos = new JarOutputStream(os, mf)) {
            try (var walk = Files.walk(classes)) {
                for (Path p : (Iterable<Path>) walk.filter(Files::isRegularFile).sorted()::iterator) {
                    jos.putNextEntry(new JarEntry(classes.relativize(p).toString().replace('\\', '/')));
                    jos.write(Files.readAllBytes(p));
                    jos.closeEntry();
                }
            }
        }
        return jar;
    }

    /** Source of a trivial order named {@code name}: one cell per pass in reverse raster order. */
    public static String reverseOrderSource(String pkg, String cls, String name) {
        return """
                package PKG;
                import io.tessera.core.config.ConfigNode;
                import io.tessera.core.spi.*;
                import java.util.Set;
                @org.pf4j.Extension
                public class CLS implements OrderScheduler {
                  public String name() { return "NAME"; }
                  public String description() { return "reverse raster (test plugin)"; }
                  public Set<String> families() { return Set.of("lpd"); }
                  public Plan plan(GridSize grid, ConfigNode options, long seed) {
                    options.string("name", name());
                    options.rejectUnknown();
                    return new Plan() {
                      int k = grid.cells() - 1;
                      public Group next(PlanState s) { return k < 0 ? null : Group.of(k--); }
                    };
                  }
                }
                """.replace("PKG", pkg).replace("CLS", cls).replace("NAME", name);
    }
}
