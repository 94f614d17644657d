package io.snapcoherence.coherence;

import java.util.Collection;
import java.util.Comparator;
import java.util.List;

/** Unit names ({@code app/N}) and the deterministic order units are granted in: by application, then number. */
public final class Units {

    public static final Comparator<String> ORDER = Comparator.comparing(Units::application)
            .thenComparingLong(Units::number)
            .thenComparing(Comparator.naturalOrder());

    private Units() {
    }

    public static List<String> ordered(Collection<String> units) {
        return units.stream().distinct().sorted(ORDER).toList();
    }

    static String application(String unit) {
        int slash = unit.indexOf('/');
        return slash < 0 ? unit : unit.substring(0, slash);
    }

    static long number(String unit) {
        int slash = unit.indexOf('/');
        try {
            return slash < 0 ? Long.MAX_VALUE : Long.parseLong(unit.substring(slash + 1));
        } catch (NumberFormatException e) {
            return Long.MAX_VALUE;
        }
    }
}
