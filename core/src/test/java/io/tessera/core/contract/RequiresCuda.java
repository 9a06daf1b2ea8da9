package io.tessera.core.contract;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Inherited;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The one named requirement for tests that need a CUDA GPU. On a class (inherited by subclasses) or a
 * method. The test class must implement {@link Probe}; for every test {@link RequiresCudaCondition} asks
 * the test instance's probe and, when it answers false, disables the test with exactly
 * {@value #REASON}. A class without a probe, or a probe that throws, fails the test instead of
 * skipping it: a skip is always explicit and named.
 *
 * <pre>{@code
 * @RequiresCuda
 * class TorchCudaContractTest extends BackendContractTest implements RequiresCuda.Probe {
 *     public boolean cudaAvailable() { return torch.cuda_is_available(); }
 *     ...
 * }
 * }</pre>
 */
@Documented
@Inherited
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.TYPE, ElementType.METHOD})
@ExtendWith(RequiresCudaCondition.class)
public @interface RequiresCuda {
    /** The reason reported for every test skipped for want of a GPU. */
    String REASON = "needs a CUDA GPU: none found (torch.cuda.is_available() is false)";

    /** How a test class tells whether a CUDA device is usable (e.g. libtorch's {@code cuda_is_available()}). */
    interface Probe {
        boolean cudaAvailable();
    }
}
