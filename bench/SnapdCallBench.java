import io.snapcoherence.snap.SnapdClient;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.function.Supplier;

/**
 * One snapd question asked two ways, in one JVM: by spawning the real {@code snap} CLI (what the charm did) and by
 * the charm's REST client on the socket (what it does). Both talk to the same fake snapd (its own process, under
 * the root given) through SNAPPY_GLOBAL_ROOT, so only the way of asking differs. Rounds alternate the two so load
 * changes hit both alike.
 *   bench/snapd-calls.sh [calls per round] [rounds]   (see there for the snap CLI)
 */
public final class SnapdCallBench {

    public static void main(String[] args) throws Exception {
        Path cli = Path.of(args[0]);
        Path root = Path.of(args[1]);
        int calls = args.length > 2 ? Integer.parseInt(args[2]) : 20;
        int rounds = args.length > 3 ? Integer.parseInt(args[3]) : 5;
        SnapdClient client = new SnapdClient(SnapdClient.socketPath(java.util.Map.of("SNAPPY_GLOBAL_ROOT",
                root.toString())));
        compare("snap list        vs GET /v2/snaps     ", rounds, calls,
                () -> spawn(cli, root, "list"), () -> client.list().size());
        compare("snap tasks 1     vs GET /v2/changes/1 ", rounds, calls,
                () -> spawn(cli, root, "tasks", "1"), () -> client.change("1").status().length());
    }

    private static void compare(String what, int rounds, int calls, Supplier<Integer> viaCli,
                                Supplier<Integer> viaRest) {
        List<Double> cliMs = new ArrayList<>();
        List<Double> restMs = new ArrayList<>();
        viaCli.get(); // first calls load classes and fill caches: not measured
        viaRest.get();
        for (int round = 0; round < rounds; round++) {
            cliMs.add(perCall(calls, viaCli));
            restMs.add(perCall(calls, viaRest));
        }
        double cli = median(cliMs);
        double rest = median(restMs);
        System.out.printf("%s  CLI %6.2f ms/call   REST %6.3f ms/call   CLI/REST %5.1f   (medians of %d rounds x %d)%n",
                what, cli, rest, cli / rest, rounds, calls);
    }

    private static double perCall(int calls, Supplier<Integer> call) {
        long start = System.nanoTime();
        for (int i = 0; i < calls; i++) {
            call.get();
        }
        return (System.nanoTime() - start) / 1e6 / calls;
    }

    private static int spawn(Path cli, Path root, String... args) {
        List<String> argv = new ArrayList<>();
        argv.add(cli.toString());
        argv.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(argv).redirectErrorStream(true);
        builder.environment().put("SNAPPY_GLOBAL_ROOT", root.toString());
        try {
            Process process = builder.start();
            int length = process.getInputStream().readAllBytes().length;
            if (process.waitFor() != 0) {
                throw new IllegalStateException(String.join(" ", argv) + " failed");
            }
            return length;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static double median(List<Double> values) {
        List<Double> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        return sorted.get(sorted.size() / 2);
    }
}
