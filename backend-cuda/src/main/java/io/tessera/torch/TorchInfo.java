package io.tessera.torch;

import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch_cuda;

/**
 * What libtorch offers in this process, for {@code tessera inspect} and {@code bench}. Loading the
 * natives the first time extracts them into {@code ~/.javacpp/cache} (slow once).
 *
 * @param libtorchVersion libtorch's version (from its build configuration), e.g. 2.10.0
 * @param cuda            whether a CUDA device can be used
 * @param deviceName      the CUDA device 0 name, or "cpu (N threads)"
 * @param cudaDevices     number of CUDA devices
 */
public record TorchInfo(String libtorchVersion, boolean cuda, String deviceName, int cudaDevices) {

    private static final Pattern VERSION = Pattern.compile("TORCH_VERSION=([0-9][^,\\s]*)");

    /** Queries libtorch (loads the natives). */
    public static TorchInfo query() {
        String config = torch.show_config().getString();
        Matcher m = VERSION.matcher(config);
        String version = m.find() ? m.group(1) : "unknown";
        boolean cuda = cudaAvailable();
        int devices = cuda ? torch.cuda_device_count() : 0;
        String name = cuda ? cudaDeviceName() : "cpu (" + torch.get_num_threads() + " threads)";
        return new TorchInfo(version, cuda, name, devices);
    }

    /** Whether libtorch sees a CUDA device (false with the CPU natives). */
    public static boolean cudaAvailable() {
        return torch.cuda_is_available();
    }

    private static String cudaDeviceName() {
        try {
            return torch_cuda.getDeviceProperties((byte) 0).name().getString();
        } catch (LinkageError | RuntimeException e) {
            // the CUDA glue or the CUDA classes are missing: the device works, only its name is unknown
            return "cuda:0";
        }
    }

    @Override
    public String toString() {
        return "libtorch " + libtorchVersion + ", " + (cuda ? "CUDA (" + cudaDevices + " device(s)): " + deviceName : deviceName);
    }
}
