package io.snapcoherence.charm;

import io.snapcoherence.coherence.Failure;
import io.snapcoherence.coherence.InstalledRevision;
import io.snapcoherence.coherence.Phase;
import io.snapcoherence.coherence.Plan;
import io.snapcoherence.coherence.Progress;
import io.snapcoherence.coherence.Target;
import io.snapcoherence.coherence.UnitAgent;
import io.snapcoherence.juju.HookTools;
import io.snapcoherence.snap.InstalledSnap;
import io.snapcoherence.snap.RefreshPin;
import io.snapcoherence.snap.SnapException;
import io.snapcoherence.snap.SnapService;
import io.snapcoherence.snap.Snaps;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One unit's refresh for a plan: {@code snap refresh --revision} per target, then verification, and with
 * {@code on-failure=revert} a revert of what this attempt refreshed. Every snap failure becomes the reported
 * outcome, never an exception.
 */
final class RefreshRun {
    private final HookTools tools;
    private final Snaps snaps;
    private final CharmConfig config;

    RefreshRun(HookTools tools, Snaps snaps, CharmConfig config) {
        this.tools = tools;
        this.snaps = snaps;
        this.config = config;
    }

    record Result(Progress progress, Optional<Map<String, InstalledRevision>> installed) {
    }

    /** One {@code snap refresh} per target, then verify; a failure is a report, never an exception. */
    Result run(Plan plan, List<Target> targets, List<Target> verify) {
        List<String> refreshed = new ArrayList<>();
        Optional<Failure> failure = Optional.empty();
        for (Target target : targets) {
            tools.statusSet(UnitAgent.refreshing(plan, target));
            try {
                snaps.refresh(target.snap(), target.channel(), new RefreshPin.Revision(target.revision()));
                refreshed.add(target.snap());
            } catch (SnapException e) {
                failure = Optional.of(new Failure(target.snap(), target.revision(), e.error().describe()));
                break;
            }
        }
        List<String> names = verify.stream().map(Target::snap).toList();
        Optional<List<InstalledSnap>> after = Optional.empty();
        try {
            after = Optional.of(snaps.list());
            if (failure.isEmpty()) {
                List<SnapService> services = snaps.services(names);
                failure = UnitAgent.verify(verify, after.get(), services);
            }
        } catch (SnapException e) {
            failure = failure.or(() -> Optional.of(new Failure(verify.get(0).snap(), verify.get(0).revision(),
                    "cannot verify: " + e.error().describe())));
        }
        if (failure.isEmpty()) {
            return new Result(Progress.done(plan), after.map(this::managed));
        }
        if (config.onFailure() == CharmConfig.OnFailure.REVERT && !refreshed.isEmpty()) {
            List<String> problems = new ArrayList<>();
            for (String snap : refreshed) {
                try {
                    snaps.revert(snap);
                } catch (SnapException e) {
                    problems.add(snap + ": " + e.error().describe());
                }
            }
            Failure f = failure.get();
            Failure reported = problems.isEmpty() ? f : new Failure(f.snap(), f.revision(),
                    f.error() + "; revert failed: " + String.join("; ", problems));
            Optional<Map<String, InstalledRevision>> reverted;
            try {
                reverted = Optional.of(managed(snaps.list()));
            } catch (SnapException e) {
                reverted = Optional.empty();
            }
            return new Result(Progress.failed(plan, Phase.REVERTED, reported), reverted);
        }
        return new Result(Progress.failed(plan, Phase.FAILED, failure.get()), after.map(this::managed));
    }

    private Map<String, InstalledRevision> managed(List<InstalledSnap> listed) {
        return UnitAgent.managed(listed, config.snaps());
    }

}
