package io.snapcoherence.snap.realsnapd;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

import java.util.Optional;
import java.util.function.Supplier;

/**
 * Real snapds for tests, each started once per test run on first use and stopped when the run ends:
 * <ul>
 *   <li>a {@link RealSnapd} (CLI level, the project's fake store proxy as its store) for test classes that take it
 *       as a parameter; reset before each of their tests, and such classes carry
 *       {@code @ResourceLock(RealSnapdExtension.LOCK)} since they share it;</li>
 *   <li>a {@link RealSnapdFixture} per {@link RealSnapdFixture.Kind}, for the REST contract ({@link #fixture}).</li>
 * </ul>
 * When this machine cannot run them (not root, no loop devices or squashfs, cache not built by
 * tests/snapd/build.sh) the tests are skipped with the reason printed, except under {@code CI=true}, where they
 * fail with it.
 */
public final class RealSnapdExtension implements BeforeAllCallback, BeforeEachCallback, ParameterResolver {
    public static final String LOCK = "real-snapd";
    private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(RealSnapdExtension.class);

    /**
     * A started resource, or why it could not start: a missing prerequisite, or (broken) a failure to start where
     * it should have. Kept either way, so a failure is not retried by every test; closed by JUnit after the last
     * test class.
     */
    private record Holder<T extends AutoCloseable>(Optional<T> resource, String failure, boolean broken)
            implements ExtensionContext.Store.CloseableResource {
        @Override
        public void close() throws Exception {
            if (resource.isPresent()) {
                resource.get().close();
            }
        }
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        cliSnapd(context);
    }

    @Override
    public void beforeEach(ExtensionContext context) {
        cliSnapd(context).reset();
    }

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        return parameter.getParameter().getType() == RealSnapd.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        return cliSnapd(context);
    }

    private static RealSnapd cliSnapd(ExtensionContext context) {
        return shared(context, "cli", () -> RealSnapd.start(build()));
    }

    /** The run's real snapd of this kind, started on first use. */
    public static RealSnapdFixture fixture(ExtensionContext context, RealSnapdFixture.Kind kind) {
        return shared(context, "fixture-" + kind, () -> RealSnapdFixture.start(build(), kind));
    }

    /**
     * Registered by a contract test class ({@code @RegisterExtension static final Fixture SNAPD = new Fixture(kind)})
     * to get the run's real snapd of that kind before its first test; the class is skipped (or fails under CI)
     * when it cannot run here.
     */
    public static final class Fixture implements BeforeAllCallback {
        private final RealSnapdFixture.Kind kind;
        private RealSnapdFixture fixture;

        public Fixture(RealSnapdFixture.Kind kind) {
            this.kind = kind;
        }

        @Override
        public void beforeAll(ExtensionContext context) {
            fixture = RealSnapdExtension.fixture(context, kind);
        }

        public RealSnapdFixture get() {
            return fixture;
        }
    }

    private static RealSnapdBuild build() {
        RealSnapdBuild.Result result = RealSnapdBuild.load();
        return result.build().orElseThrow(() -> new Unavailable(result.unavailable()));
    }

    @SuppressWarnings("unchecked")
    private static <T extends AutoCloseable> T shared(ExtensionContext context, String key, Supplier<T> start) {
        Holder<T> holder = context.getRoot().getStore(NAMESPACE).getOrComputeIfAbsent(key, k -> {
            try {
                return new Holder<>(Optional.of(start.get()), "", false);
            } catch (Unavailable e) {
                return new Holder<>(Optional.empty(), e.getMessage(), false);
            } catch (RuntimeException e) {
                e.printStackTrace();
                return new Holder<>(Optional.empty(), e.toString(), true);
            }
        }, Holder.class);
        if (holder.broken()) {
            // Not a missing prerequisite: snapd was expected to start here. Fail everywhere, with the cause.
            throw new IllegalStateException("real snapd (" + key + ") did not start: " + holder.failure());
        }
        if (holder.resource().isEmpty()) {
            if ("true".equals(System.getenv("CI"))) {
                throw new IllegalStateException("CI=true and real snapd cannot run: " + holder.failure());
            }
            System.out.println("Skipping real-snapd tests: " + holder.failure());
            Assumptions.abort("real snapd unavailable: " + holder.failure());
        }
        return holder.resource().get();
    }

    /** A prerequisite of this machine is missing. */
    private static final class Unavailable extends RuntimeException {
        Unavailable(String reason) {
            super(reason);
        }
    }
}
