package io.snapcoherence.sim;

import io.snapcoherence.snap.ProxyException;
import io.snapcoherence.snap.StoreAssertions;
import io.snapcoherence.snap.StoreProxy;

import java.net.URI;

/**
 * The proxy's registration endpoint in memory, with the faults a real proxy shows: down, 5xx, an empty or
 * garbage body, or assertions for another store id.
 */
public final class SimulatedProxy implements StoreProxy {

    public enum Mode { OK, DOWN, SERVER_ERROR, EMPTY, GARBAGE, WRONG_STORE_ID }

    private final SimulatedStore store;
    private Mode mode = Mode.OK;
    private int fetches;

    public SimulatedProxy(SimulatedStore store) {
        this.store = store;
    }

    public void setMode(Mode mode) {
        this.mode = mode;
    }

    /** How many times a unit asked for the assertions. */
    public int fetches() {
        return fetches;
    }

    @Override
    public StoreAssertions fetchAssertions(URI proxyUrl) {
        fetches++;
        String url = proxyUrl + "/v2/auth/store/assertions";
        return switch (mode) {
            case OK -> new StoreAssertions(store.storeId(), java.util.Optional.of(store.url()), store.assertions());
            case DOWN -> throw new ProxyException(url + ": connection refused", true);
            case SERVER_ERROR -> throw new ProxyException(url + ": HTTP 503", true);
            case EMPTY -> throw new ProxyException(url + ": empty response", false);
            case GARBAGE -> throw new ProxyException(url + ": response is not an assertion stream", false);
            case WRONG_STORE_ID -> throw new ProxyException(url + ": X-Assertion-Store-Id says other-store, "
                    + "the store assertion says " + store.storeId(), false);
        };
    }
}
