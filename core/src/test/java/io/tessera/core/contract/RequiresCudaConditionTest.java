package io.tessera.core.contract;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExtensionConfigurationException;

class RequiresCudaConditionTest {
    @Test
    void probeAnsweringFalseDisablesWithTheNamedReason() {
        RequiresCuda.Probe none = () -> false;
        ConditionEvaluationResult r = RequiresCudaCondition.evaluate(Optional.of(none), getClass());
        assertTrue(r.isDisabled());
        assertEquals(Optional.of("needs a CUDA GPU: none found (torch.cuda.is_available() is false)"), r.getReason());
    }

    @Test
    void probeAnsweringTrueEnables() {
        RequiresCuda.Probe gpu = () -> true;
        assertFalse(RequiresCudaCondition.evaluate(Optional.of(gpu), getClass()).isDisabled());
    }

    @Test
    void classLevelDefersToEachTest() {
        assertFalse(RequiresCudaCondition.evaluate(Optional.empty(), getClass()).isDisabled());
    }

    @Test
    void aTestClassWithoutProbeFailsInsteadOfSkipping() {
        ExtensionConfigurationException e = assertThrows(ExtensionConfigurationException.class,
                () -> RequiresCudaCondition.evaluate(Optional.of(new Object()), getClass()));
        assertTrue(e.getMessage().contains("does not implement RequiresCuda.Probe"), e.getMessage());
    }

    @Test
    void theAnnotationCarriesTheCondition() {
        org.junit.jupiter.api.extension.ExtendWith ext = RequiresCuda.class.getAnnotation(org.junit.jupiter.api.extension.ExtendWith.class);
        assertEquals(RequiresCudaCondition.class, ext.value()[0]);
    }
}
