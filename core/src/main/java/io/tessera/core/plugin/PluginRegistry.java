package io.tessera.core.plugin;

import io.tessera.core.PluginException;
import io.tessera.core.spi.ComputeBackend;
import io.tessera.core.spi.ImageTokenizer;
import io.tessera.core.spi.OrderScheduler;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;
import org.pf4j.DefaultPluginManager;
import org.pf4j.PluginManager;
import org.pf4j.PluginWrapper;

/**
 * Finds every order, tokenizer and backend through PF4J: the built-in ones are {@code @Extension}s
 * on the application class path, third-party ones live in plugin jars/zips in plugin directories;
 * both are found the same way ({@link PluginManager#getExtensions(Class)}). Names must be unique
 * across all of them. Close the registry to stop the plugins.
 */
public final class PluginRegistry implements AutoCloseable {
    private final PluginManager manager;
    private final Map<String, OrderScheduler> orders;
    private final Map<String, ImageTokenizer> tokenizers;
    private final Map<String, ComputeBackend> backends;

    private PluginRegistry(PluginManager manager) {
        this.manager = manager;
        this.orders = index(manager.getExtensions(OrderScheduler.class), OrderScheduler::name, "order");
        this.tokenizers = index(manager.getExtensions(ImageTokenizer.class), ImageTokenizer::name, "tokenizer");
        this.backends = index(manager.getExtensions(ComputeBackend.class), ComputeBackend::name, "backend");
    }

    /** Built-in extensions only. */
    public static PluginRegistry builtIn() {
        return load(List.of());
    }

    /** Built-in extensions plus the plugins found in each existing directory of {@code pluginDirs}. */
    public static PluginRegistry load(List<Path> pluginDirs) {
        List<Path> dirs = new ArrayList<>();
        for (Path d : pluginDirs) {
            if (!Files.isDirectory(d)) {
                throw new PluginException(d + ": plugin directory does not exist");
            }
            dirs.add(d.toAbsolutePath());
        }
        PluginManager pm = dirs.isEmpty() ? new DefaultPluginManager(List.of(emptyDir())) : new DefaultPluginManager(dirs);
        try {
            pm.loadPlugins();
            pm.startPlugins();
        } catch (RuntimeException e) {
            throw new PluginException("cannot load plugins from " + dirs + ": " + e.getMessage(), e);
        }
        for (PluginWrapper w : pm.getPlugins()) {
            if (w.getFailedException() != null) {
                throw new PluginException(w.getPluginPath() + ": plugin '" + w.getPluginId() + "' failed to start: "
                        + w.getFailedException().getMessage(), w.getFailedException());
            }
        }
        return new PluginRegistry(pm);
    }

    private static Path emptyDir() {
        // PF4J defaults to ./plugins when given no directory; point it at a path that never holds plugins.
        return Path.of(System.getProperty("java.io.tmpdir"), "tessera-no-plugins-" + ProcessHandle.current().pid());
    }

    private <T> Map<String, T> index(List<T> found, Function<T, String> name, String kind) {
        Map<String, T> out = new TreeMap<>();
        for (T ext : found) {
            String n = name.apply(ext);
            T prev = out.putIfAbsent(n, ext);
            if (prev != null) {
                throw new PluginException("two " + kind + " extensions are named '" + n + "': " + origin(prev) + " and " + origin(ext));
            }
        }
        return out;
    }

    private String origin(Object ext) {
        PluginWrapper w = manager.whichPlugin(ext.getClass());
        return ext.getClass().getName() + (w == null ? " (built in)" : " (plugin " + w.getPluginId() + ")");
    }

    public OrderScheduler order(String name) {
        return lookup(orders, name, "order");
    }

    public ImageTokenizer tokenizer(String name) {
        return lookup(tokenizers, name, "tokenizer");
    }

    public ComputeBackend backend(String name) {
        return lookup(backends, name, "backend");
    }

    private static <T> T lookup(Map<String, T> map, String name, String kind) {
        T t = map.get(name);
        if (t == null) {
            throw new PluginException(kind + ".name: unknown " + kind + " '" + name + "' (available: "
                    + (map.isEmpty() ? "none" : String.join(", ", map.keySet())) + ")");
        }
        return t;
    }

    public Map<String, OrderScheduler> orders() {
        return orders;
    }

    public Map<String, ImageTokenizer> tokenizers() {
        return tokenizers;
    }

    public Map<String, ComputeBackend> backends() {
        return backends;
    }

    /** Where an extension came from: "built in" or the plugin id. */
    public String originOf(Object extension) {
        PluginWrapper w = manager.whichPlugin(extension.getClass());
        return w == null ? "built in" : "plugin " + w.getPluginId();
    }

    /** Stops plugins one by one (PF4J 3.15's stopPlugins() throws ConcurrentModificationException). */
    @Override
    public void close() {
        for (PluginWrapper w : new ArrayList<>(manager.getStartedPlugins())) {
            manager.stopPlugin(w.getPluginId());
        }
        manager.unloadPlugins();
    }
}
