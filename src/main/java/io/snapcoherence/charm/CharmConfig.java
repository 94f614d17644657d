package io.snapcoherence.charm;

import io.snapcoherence.coherence.Soak;

import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The charm's config, validated. {@link #parse(Map)} either returns a config or throws
 * {@link InvalidConfigException} whose message names the option and what is wrong, for a blocked status.
 */
public record CharmConfig(Optional<URI> proxyUrl, Optional<String> storeId, List<String> snaps,
                          int maxUnavailable, boolean autoRefresh, boolean hold, OnFailure onFailure,
                          Duration soak, boolean healthChecks) {

    public static final List<String> DEFAULT_SNAPS = List.of("kube-apiserver", "kube-controller-manager",
            "kube-scheduler", "kube-proxy", "kubelet", "kubectl");
    private static final Pattern SNAP_NAME = Pattern.compile("[a-z0-9](?:-?[a-z0-9])*");
    private static final Pattern STORE_ID = Pattern.compile("[A-Za-z0-9_-]{1,128}");
    /**
     * Upper bounds that keep every peer databag and unit-store value small whatever the number of units: grants
     * (at most two batches of max-unavailable per tier) and the snaps each unit reports are what grows with them.
     * At these bounds the largest value stays far below Juju's 64 KiB (docs/protocol.md, "Size").
     */
    public static final int MAX_UNAVAILABLE = 100;
    public static final int MAX_SNAPS = 32;

    public enum OnFailure { HALT, REVERT }

    public CharmConfig {
        snaps = List.copyOf(snaps);
    }

    /** Without a soak, with health checks. */
    public CharmConfig(Optional<URI> proxyUrl, Optional<String> storeId, List<String> snaps, int maxUnavailable,
                       boolean autoRefresh, boolean hold, OnFailure onFailure) {
        this(proxyUrl, storeId, snaps, maxUnavailable, autoRefresh, hold, onFailure, Duration.ZERO, true);
    }

    public static CharmConfig defaults() {
        return new CharmConfig(Optional.empty(), Optional.empty(), DEFAULT_SNAPS, 1, true, true, OnFailure.HALT);
    }

    public static CharmConfig parse(Map<String, Object> raw) {
        Optional<URI> proxyUrl = text(raw, "proxy-url").map(CharmConfig::proxyUrl);
        Optional<String> storeId = text(raw, "store-id").map(id -> {
            if (!STORE_ID.matcher(id).matches()) {
                throw new InvalidConfigException("store-id \"" + id + "\" is not a store id (letters, digits, - and _)");
            }
            return id;
        });
        List<String> snaps = text(raw, "snaps").map(CharmConfig::snapList).orElse(DEFAULT_SNAPS);
        int maxUnavailable = integer(raw, "max-unavailable", 1);
        if (maxUnavailable < 1 || maxUnavailable > MAX_UNAVAILABLE) {
            throw new InvalidConfigException("max-unavailable must be between 1 and " + MAX_UNAVAILABLE + ", got "
                    + maxUnavailable);
        }
        boolean autoRefresh = bool(raw, "auto-refresh", true);
        boolean hold = bool(raw, "hold", true);
        OnFailure onFailure = text(raw, "on-failure").map(value -> switch (value) {
            case "halt" -> OnFailure.HALT;
            case "revert" -> OnFailure.REVERT;
            default -> throw new InvalidConfigException("on-failure must be halt or revert, got \"" + value + "\"");
        }).orElse(OnFailure.HALT);
        Duration soak = text(raw, "soak").map(value -> {
            try {
                return Soak.parse(value);
            } catch (IllegalArgumentException e) {
                throw new InvalidConfigException(e.getMessage());
            }
        }).orElse(Duration.ZERO);
        boolean healthChecks = bool(raw, "health-checks", true);
        return new CharmConfig(proxyUrl, storeId, snaps, maxUnavailable, autoRefresh, hold, onFailure, soak,
                healthChecks);
    }

    private static URI proxyUrl(String value) {
        URI uri;
        try {
            uri = new URI(value);
        } catch (URISyntaxException e) {
            throw new InvalidConfigException("proxy-url \"" + value + "\" is not a URL: " + e.getReason());
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https")) {
            throw new InvalidConfigException("proxy-url \"" + value + "\" must start with http:// or https://");
        }
        if (uri.getHost() == null || uri.getHost().isBlank()) {
            throw new InvalidConfigException("proxy-url \"" + value + "\" has no host");
        }
        if (uri.getRawQuery() != null || uri.getRawFragment() != null || uri.getRawUserInfo() != null) {
            throw new InvalidConfigException("proxy-url \"" + value + "\" must be a base URL without user, query or fragment");
        }
        String path = uri.getRawPath() == null ? "" : uri.getRawPath();
        while (path.endsWith("/")) {
            path = path.substring(0, path.length() - 1);
        }
        return URI.create(scheme + "://" + uri.getRawAuthority() + path);
    }

    private static List<String> snapList(String value) {
        List<String> snaps = new ArrayList<>();
        for (String name : Arrays.asList(value.trim().split("\\s+"))) {
            if (name.isEmpty()) {
                continue;
            }
            if (!SNAP_NAME.matcher(name).matches() || name.length() > 40) {
                throw new InvalidConfigException("snaps: \"" + name + "\" is not a snap name");
            }
            if (!snaps.contains(name)) {
                snaps.add(name);
            }
        }
        if (snaps.isEmpty()) {
            throw new InvalidConfigException("snaps must name at least one snap");
        }
        if (snaps.size() > MAX_SNAPS) {
            throw new InvalidConfigException("snaps names " + snaps.size() + " snaps, at most " + MAX_SNAPS);
        }
        return snaps;
    }

    private static Optional<String> text(Map<String, Object> raw, String key) {
        Object value = raw.get(key);
        if (value == null) {
            return Optional.empty();
        }
        if (!(value instanceof String s)) {
            throw new InvalidConfigException(key + " must be a string, got " + value);
        }
        return s.isBlank() ? Optional.empty() : Optional.of(s.strip());
    }

    private static int integer(Map<String, Object> raw, String key, int fallback) {
        Object value = raw.get(key);
        if (value == null) {
            return fallback;
        }
        if (value instanceof Number n && n.doubleValue() == Math.rint(n.doubleValue())
                && Math.abs(n.doubleValue()) < Integer.MAX_VALUE) {
            return n.intValue();
        }
        throw new InvalidConfigException(key + " must be a whole number, got " + value);
    }

    private static boolean bool(Map<String, Object> raw, String key, boolean fallback) {
        Object value = raw.get(key);
        if (value == null) {
            return fallback;
        }
        if (value instanceof Boolean b) {
            return b;
        }
        throw new InvalidConfigException(key + " must be true or false, got " + value);
    }

    /** A config value the charm cannot use; the message is fit for {@code juju status}. */
    public static final class InvalidConfigException extends RuntimeException {
        public InvalidConfigException(String message) {
            super(message);
        }
    }
}
