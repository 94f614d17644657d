package io.snapcoherence.snap;

import java.util.ArrayList;
import java.util.List;

/**
 * Parses {@code snap services}: {@code Service Startup Current Notes}, e.g. {@code kubelet.daemon enabled active -}.
 * {@code There are no services provided by installed snaps.} means none.
 */
public final class SnapServicesParser {

    private SnapServicesParser() {
    }

    public static List<SnapService> parse(String stdout) {
        List<SnapService> services = new ArrayList<>();
        List<String> lines = stdout.lines().filter(l -> !l.isBlank()).toList();
        if (lines.isEmpty() || lines.get(0).startsWith("There are no services")) {
            return services;
        }
        if (!lines.get(0).startsWith("Service ")) {
            throw new IllegalArgumentException("snap services: unexpected header: " + lines.get(0));
        }
        for (String line : lines.subList(1, lines.size())) {
            String[] cols = line.strip().split("\\s+");
            int dot = cols[0].indexOf('.');
            if (cols.length < 3 || dot <= 0) {
                throw new IllegalArgumentException("snap services: unexpected row: " + line);
            }
            services.add(new SnapService(cols[0].substring(0, dot), cols[0], cols[1].equals("enabled"),
                    cols[2].equals("active")));
        }
        return services;
    }
}
