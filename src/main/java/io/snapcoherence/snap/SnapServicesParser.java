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
        for (String[] cols : CliTable.rows(stdout, "snap services", "Service", "There are no services")) {
            int dot = cols[0].indexOf('.');
            if (cols.length < 3 || dot <= 0) {
                throw new IllegalArgumentException("snap services: unexpected row: " + String.join(" ", cols));
            }
            services.add(new SnapService(cols[0].substring(0, dot), cols[0], cols[1].equals("enabled"),
                    cols[2].equals("active")));
        }
        return services;
    }
}
