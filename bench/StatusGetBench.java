import io.snapcoherence.coherence.StatusLine;
import io.snapcoherence.juju.WorkloadStatus;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

/**
 * What the leader's status-get --application costs at scale (a program, not a test): the answer Juju prints for
 * N units (status-get.go toDetails with --include-data: status, message, status-data per unit; encoding/json sorts
 * keys and adds no spaces), once with every unit saying its refresh is verified done, once with every unit failed
 * with the longest error the charm writes (500 characters), and the time the leader takes to read it
 * (WorkloadStatus.parseApplication and StatusLine.parse of every unit), median of the runs, in this JVM.
 * Run it as a hook runs (dispatch's flags):
 *   mvn -B -q -DskipTests package && java -XX:+UseSerialGC -Xint -cp target/classes bench/StatusGetBench.java [units] [runs]
 */
public class StatusGetBench {
    public static void main(String[] args) {
        int units = args.length > 0 ? Integer.parseInt(args[0]) : 5003;
        int runs = args.length > 1 ? Integer.parseInt(args[1]) : 7;
        String error = "cannot perform the following tasks: - " + "x".repeat(470);
        error = error.substring(0, 500);
        measure("verified", units, runs, "active", n -> "on plan 123456 (attempt 12, verified); refresh hold "
                + "lapses 2027-02-28T10:00:00Z: snapd before 2.58 holds no longer than 95 days after its last refresh");
        String failure = error;
        measure("failed", units, runs, "blocked", n -> "kube-controller-manager 123456 failed (plan 123456, attempt 12): "
                + failure);
    }

    interface Message {
        String of(int unit);
    }

    static void measure(String label, int units, int runs, String kind, Message message) {
        List<String> names = new ArrayList<>();
        for (int i = 0; i < units; i++) {
            names.add("snap-coherence/" + i);
        }
        Collections.sort(names);
        StringBuilder json = new StringBuilder("{\"application-status\":{\"message\":\"rolling out plan 123456\","
                + "\"status\":\"maintenance\",\"status-data\":{},\"units\":{");
        for (int i = 0; i < names.size(); i++) {
            json.append(i == 0 ? "" : ",").append('"').append(names.get(i)).append("\":{\"message\":\"")
                    .append(message.of(i).replace("\"", "\\\"")).append("\",\"status\":\"").append(kind)
                    .append("\",\"status-data\":{}}");
        }
        json.append("}}}\n");
        String text = json.toString();
        long[] nanos = new long[runs];
        long[] jsonNanos = new long[runs];
        int parsed = 0;
        for (int r = 0; r < runs; r++) {
            long start = System.nanoTime();
            Map<String, WorkloadStatus> statuses = WorkloadStatus.parseApplication(text);
            jsonNanos[r] = System.nanoTime() - start;
            parsed = 0;
            for (WorkloadStatus status : statuses.values()) {
                parsed += StatusLine.parse(status).isPresent() ? 1 : 0;
            }
            nanos[r] = System.nanoTime() - start;
        }
        java.util.Arrays.sort(nanos);
        java.util.Arrays.sort(jsonNanos);
        System.out.printf("%s: %d units, answer %d bytes, %d parsed, read in %.0f ms, of which the JSON %.0f ms "
                        + "(medians of %d)%n", label, units, text.getBytes(StandardCharsets.UTF_8).length, parsed,
                nanos[runs / 2] / 1e6, jsonNanos[runs / 2] / 1e6, runs);
    }
}
