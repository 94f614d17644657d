package io.snapcoherence.coherence;

import java.util.Collection;
import java.util.Comparator;
import java.util.List;

/** Unit names ({@code app/N}) and the deterministic order units are granted in: by application, then number. */
public final class Units {

    /**
     * By application, then number, then name. Written out, as the order of unit reports ({@link #BY_UNIT}) too,
     * rather than built with {@code Comparator.comparing}: the JDK makes those lambdas serializable, and the charm's
     * class-data archive never holds a serializable lambda's class (java/lang/invoke/LambdaProxyClassArchive.java
     * {@code find}), so every hook would spin each of them again.
     */
    public static final Comparator<String> ORDER = Units::compare;
    /** Unit reports in {@link #ORDER} of their units. */
    static final Comparator<UnitReport> BY_UNIT = (a, b) -> compare(a.unit(), b.unit());

    private Units() {
    }

    public static List<String> ordered(Collection<String> units) {
        return units.stream().distinct().sorted(ORDER).toList();
    }

    private static int compare(String a, String b) {
        int byApplication = application(a).compareTo(application(b));
        if (byApplication != 0) {
            return byApplication;
        }
        int byNumber = Long.compare(number(a), number(b));
        return byNumber != 0 ? byNumber : a.compareTo(b);
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
