package io.tessera.core.contract;

import java.util.Optional;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionConfigurationException;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The {@link ExecutionCondition} behind {@link RequiresCuda}. The probe is the test instance, so the
 * decision is taken per test (JUnit creates the instance before it evaluates a method's conditions); at
 * class level, where no instance exists yet, the class is enabled and each of its tests decides.
 */
public final class RequiresCudaCondition implements ExecutionCondition {
    @Override
    public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
        return evaluate(context.getTestInstance(), context.getRequiredTestClass());
    }

    /**
     * The decision for a test of {@code testClass} whose instance is {@code instance} (empty at class level).
     *
     * @throws ExtensionConfigurationException when the instance does not implement {@link RequiresCuda.Probe}
     */
    public static ConditionEvaluationResult evaluate(Optional<Object> instance, Class<?> testClass) {
        if (instance.isEmpty()) {
            return ConditionEvaluationResult.enabled("@RequiresCuda is decided per test by " + testClass.getName() + "'s probe");
        }
        if (!(instance.get() instanceof RequiresCuda.Probe probe)) {
            throw new ExtensionConfigurationException("@RequiresCuda on " + testClass.getName()
                    + ", which does not implement RequiresCuda.Probe (it must say how to find a CUDA GPU)");
        }
        return probe.cudaAvailable()
                ? ConditionEvaluationResult.enabled("a CUDA GPU is available")
                : ConditionEvaluationResult.disabled(RequiresCuda.REASON);
    }
}
