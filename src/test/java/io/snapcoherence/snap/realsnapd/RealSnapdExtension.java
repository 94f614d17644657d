package io.snapcoherence.snap.realsnapd;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

import java.util.Optional;

/**
 * Gives contract tests one shared {@link RealSnapd} for the whole test run (started on first use, stopped when
 * the run ends) and resets its state before each test. Test classes using it must also carry
 * {@code @ResourceLock(RealSnapdExtension.LOCK)} so they never run concurrently. With {@code CI=true} a snapd
 * that cannot start fails the tests; elsewhere they are skipped with the reason printed.
 */
public final class RealSnapdExtension implements BeforeAllCallback, BeforeEachCallback, ParameterResolver {
    public static final String LOCK = "real-snapd";
    private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(RealSnapdExtension.class);

    /** Holds the daemon in the root store so JUnit closes it after the last test class. */
    private record Holder(Optional<RealSnapd> snapd, String failure) implements ExtensionContext.Store.CloseableResource {
        @Override
        public void close() {
            snapd.ifPresent(RealSnapd::close);
        }
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        holder(context);
    }

    @Override
    public void beforeEach(ExtensionContext context) {
        snapd(context).reset();
    }

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        return parameter.getParameter().getType() == RealSnapd.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        return snapd(context);
    }

    private static RealSnapd snapd(ExtensionContext context) {
        Holder holder = holder(context);
        if (holder.snapd().isEmpty()) {
            boolean ci = "true".equals(System.getenv("CI"));
            if (ci) {
                throw new IllegalStateException("CI=true and real snapd cannot run: " + holder.failure());
            }
            System.out.println("Skipping real-snapd contract tests: " + holder.failure());
            Assumptions.abort("real snapd unavailable: " + holder.failure());
        }
        return holder.snapd().get();
    }

    private static Holder holder(ExtensionContext context) {
        return context.getRoot().getStore(NAMESPACE).getOrComputeIfAbsent(Holder.class, key -> {
            Optional<String> reason = RealSnapd.unavailableReason();
            if (reason.isPresent()) {
                return new Holder(Optional.empty(), reason.get());
            }
            try {
                return new Holder(Optional.of(RealSnapd.start()), "");
            } catch (Exception e) {
                return new Holder(Optional.empty(), e.getMessage());
            }
        }, Holder.class);
    }
}
