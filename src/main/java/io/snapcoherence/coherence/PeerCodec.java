package io.snapcoherence.coherence;

import io.snapcoherence.Json;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * The peer relation's wire format. Unit databag, schema 1: {@code schema}, {@code role}, {@code installed},
 * {@code progress}, {@code witnessed}, {@code left}, {@code arch}, {@code offers}, {@code principal},
 * {@code managed}, {@code covers}; the previous version reads it
 * (it ignores the keys it does not know, whose meaning it does not need). App databag, schema 2: {@code schema},
 * {@code plan}, {@code grants}, {@code halt}, {@code paused}, {@code tally}, {@code requested}, {@code refresh},
 * {@code offers}, {@code check}, {@code window}. Schema 2 because a plan holds a target per architecture: the previous version would
 * take two targets of one channel for two revisions of one snap, so it must not read such a plan, and it says so
 * (schema 2 is data of another version to it). Schema 1 app data, the previous version's, is read: its targets
 * apply to every architecture ({@link Target#ANY_ARCH}), as that version meant them.
 * Encoding yields every key, with an empty value for an absent one (relation-set deletes it), so a caller can
 * compare with what the databag holds and write only the keys that changed. Decoding never throws: data of
 * another schema or broken data is a {@link Malformed} naming why.
 */
public final class PeerCodec {
    /** The unit databag's schema. */
    public static final String SCHEMA = "1";
    /** The app databag's schema; {@link #APP_SCHEMA_BEFORE} is read too. */
    public static final String APP_SCHEMA = "2";
    static final String APP_SCHEMA_BEFORE = "1";
    /** A dpkg architecture name as snapd reports it ({@code amd64}, {@code arm64}, {@code ppc64el}). */
    private static final java.util.regex.Pattern ARCH = java.util.regex.Pattern.compile("[a-z0-9][a-z0-9-]{0,31}");

    static final String KEY_SCHEMA = "schema";
    static final String KEY_ROLE = "role";
    static final String KEY_INSTALLED = "installed";
    static final String KEY_PROGRESS = "progress";
    static final String KEY_PLAN = "plan";
    static final String KEY_GRANTS = "grants";
    static final String KEY_HALT = "halt";
    static final String KEY_PAUSED = "paused";
    static final String KEY_TALLY = "tally";
    static final String KEY_LEFT = "left";
    static final String KEY_REQUESTED = "requested";
    static final String KEY_WITNESSED = "witnessed";
    static final String KEY_ARCH = "arch";
    static final String KEY_OFFERS = "offers";
    static final String KEY_CHECK = "check";
    /**
     * The max-unavailable in force for the active plan's window, written by the leader (Planner): what units pace
     * themselves by. Absent (no plan, or app data of an earlier build): each unit's own config.
     */
    static final String KEY_WINDOW = "window";
    /** The largest window read: max-unavailable is at most 100 (CharmConfig). */
    static final int MAX_WINDOW = 100;
    static final String KEY_REFRESH = "refresh";
    static final String KEY_PRINCIPAL = "principal";
    static final String KEY_MANAGED = "managed";
    /** The {@code snaps} config the unit's done was verified under ({@link Progress#covers}); empty without a done. */
    static final String KEY_COVERS = "covers";
    /**
     * A snap name as snapd accepts them (at most 40 characters), and how many a config may manage: no fewer than
     * config {@code snaps} lets an operator name (charm.CharmConfig SNAP_NAME, MAX_SNAPS), or a unit's own report
     * would be unreadable to its peers.
     */
    private static final java.util.regex.Pattern SNAP_NAME = java.util.regex.Pattern.compile("[a-z0-9][a-z0-9-]{0,39}");
    private static final int MAX_MANAGED = 32;
    /**
     * What a done may cover: the {@code snaps} config it was verified under and the snaps of the plan's targets,
     * which came from the config the plan was made under (RefreshRun): two configs' worth.
     */
    private static final int MAX_COVERS = 2 * MAX_MANAGED;

    /** A unit name as Juju makes them: application name, slash, number. */
    private static final java.util.regex.Pattern UNIT_NAME =
            java.util.regex.Pattern.compile("[a-z][a-z0-9-]{0,62}/[0-9]{1,9}");

    private PeerCodec() {
    }

    // ---- unit databag -------------------------------------------------------------------------------------

    public static Map<String, String> encodeUnit(UnitReport report) {
        Map<String, String> out = new LinkedHashMap<>();
        out.put(KEY_SCHEMA, SCHEMA);
        out.put(KEY_ROLE, report.role().endpoint());
        Map<String, Object> installed = new LinkedHashMap<>();
        report.installed().forEach((snap, rev) -> installed.put(snap,
                fields("channel", rev.channel(), "revision", rev.revision())));
        out.put(KEY_INSTALLED, Json.write(installed));
        out.put(KEY_PROGRESS, report.progress().map(PeerCodec::encodeProgress).orElse(""));
        out.put(KEY_WITNESSED, report.witnessed().map(w -> {
            Map<String, Object> node = fields("unit", w.unit());
            node.putAll(progressFields(w.progress()));
            return Json.write(node);
        }).orElse(""));
        out.put(KEY_ARCH, report.arch());
        out.put(KEY_OFFERS, report.view().map(PeerCodec::encodeView).orElse(""));
        out.put(KEY_PRINCIPAL, report.principal().orElse(""));
        out.put(Soak.CHECK_KEY, report.soakCheck().map(Soak.Check::encode).orElse(""));
        out.put(KEY_MANAGED, report.managed().map(snaps -> Json.write(List.copyOf(snaps))).orElse(""));
        out.put(KEY_COVERS, report.progress().flatMap(Progress::covers).map(snaps -> Json.write(List.copyOf(snaps)))
                .orElse(""));
        return out;
    }

    private static String encodeView(StoreView view) {
        Map<String, Object> serves = new LinkedHashMap<>();
        view.serves().forEach((sc, revision) -> serves.put(sc.toString(), revision));
        Map<String, Object> node = fields("at", view.at().toString(), "round", view.round(), "answer",
                view.answer(), "proxy", view.proxy(), "serves", serves);
        view.none().ifPresent(why -> node.put("none", why));
        return Json.write(node);
    }

    /**
     * The {@code left} key of a unit databag: granted units this unit saw leave the relation, so that a leader
     * that never saw them (it joined after they left) can free their grants. Empty value (key deleted) when none.
     */
    public static Map<String, String> encodeLeft(java.util.Collection<String> left) {
        return Map.of(KEY_LEFT, left.isEmpty() ? "" : Json.write(Units.ordered(left)));
    }

    /** The units a unit databag reports as having left; none when absent or unreadable (it is only a hint). */
    public static List<String> decodeLeft(Map<String, String> databag) {
        String text = databag.getOrDefault(KEY_LEFT, "");
        if (text.isEmpty()) {
            return List.of();
        }
        try {
            return Json.stringList(text);
        } catch (IllegalArgumentException e) {
            return List.of();
        }
    }

    private static String encodeProgress(Progress progress) {
        return Json.write(progressFields(progress));
    }

    private static Map<String, Object> progressFields(Progress progress) {
        Map<String, Object> node = fields("plan", progress.plan(), "attempt", progress.attempt(),
                "phase", progress.phase().wire());
        progress.failure().ifPresent(f -> node.put("failure",
                fields("snap", f.snap(), "revision", f.revision(), "error", f.error())));
        return node;
    }

    public static UnitReading decodeUnit(String unit, Map<String, String> databag) {
        Map<String, String> data = withoutEmpty(databag);
        if (data.isEmpty()) {
            return new UnitReading.Unreported(unit);
        }
        try {
            requireSchema(data);
            Role role = Role.ofEndpoint(require(data, KEY_ROLE))
                    .orElseThrow(() -> new BadData("unknown role " + Json.abbreviate(data.get(KEY_ROLE))));
            Map<String, InstalledRevision> installed = new TreeMap<>();
            Map<String, Object> node = object(require(data, KEY_INSTALLED), KEY_INSTALLED);
            for (Map.Entry<String, Object> entry : node.entrySet()) {
                if (!(entry.getValue() instanceof Map<?, ?> rev)) {
                    throw new BadData("installed." + entry.getKey() + " is not an object");
                }
                installed.put(entry.getKey(), new InstalledRevision(text(rev, "channel"), positive(rev, "revision")));
            }
            Optional<Progress> progress = Optional.ofNullable(data.get(KEY_PROGRESS)).map(PeerCodec::decodeProgress);
            Optional<java.util.SortedSet<String>> covers = Optional.ofNullable(data.get(KEY_COVERS))
                    .map(text -> snapNames(text, KEY_COVERS, MAX_COVERS));
            if (covers.isPresent()) {
                if (progress.filter(p -> p.phase() == Phase.DONE).isEmpty()) {
                    throw new BadData(KEY_COVERS + " without a done progress");
                }
                progress = progress.map(p -> p.covering(covers.get()));
            }
            Optional<Witnessed> witnessed = Optional.ofNullable(data.get(KEY_WITNESSED))
                    .map(PeerCodec::decodeWitnessed);
            String arch = data.getOrDefault(KEY_ARCH, UnitReport.UNKNOWN_ARCH);
            if (!arch.isEmpty() && !ARCH.matcher(arch).matches()) {
                throw new BadData("arch " + Json.abbreviate(arch) + " is not an architecture name");
            }
            Optional<StoreView> view = Optional.ofNullable(data.get(KEY_OFFERS)).map(PeerCodec::decodeView);
            Optional<String> principal = Optional.ofNullable(data.get(KEY_PRINCIPAL));
            if (principal.filter(p -> !UNIT_NAME.matcher(p).matches()).isPresent()) {
                throw new BadData("principal " + Json.abbreviate(principal.get()) + " is not a unit name");
            }
            Optional<Soak.Check> soakCheck;
            try {
                soakCheck = Optional.ofNullable(data.get(Soak.CHECK_KEY)).map(Soak.Check::decode);
            } catch (IllegalArgumentException e) {
                throw new BadData(e.getMessage());
            }
            Optional<java.util.SortedSet<String>> managed = Optional.ofNullable(data.get(KEY_MANAGED))
                    .map(text -> snapNames(text, KEY_MANAGED, MAX_MANAGED));
            return new UnitReading.Reported(new UnitReport(unit, role, installed, progress, witnessed, arch, view,
                    principal, soakCheck, managed));
        } catch (BadData e) {
            return new UnitReading.Unreadable(new Malformed(unit, e.getMessage()));
        }
    }

    private static StoreView decodeView(String text) {
        Map<String, Object> node = object(text, KEY_OFFERS);
        java.time.Instant at = instant(node, "at");
        long round = integral(node.get("round")).filter(r -> r >= 0)
                .orElseThrow(() -> new BadData("offers.round is not a round number"));
        if (!(node.get("answer") instanceof Boolean answer)) {
            throw new BadData("offers.answer is not true or false");
        }
        if (!(node.get("proxy") instanceof String proxy)) {
            throw new BadData("offers.proxy is not a string");
        }
        if (!(node.get("serves") instanceof Map<?, ?> serves)) {
            throw new BadData("offers.serves is not an object");
        }
        if (serves.size() > StoreView.MAX_ENTRIES) {
            throw new BadData("offers.serves holds " + serves.size() + " entries, more than "
                    + StoreView.MAX_ENTRIES);
        }
        Map<SnapChannel, Integer> revisions = new TreeMap<>();
        for (Map.Entry<?, ?> entry : serves.entrySet()) {
            revisions.put(snapChannel((String) entry.getKey()), positive(serves, (String) entry.getKey()));
        }
        Object none = node.get("none");
        if (none != null && (!(none instanceof String why) || why.isEmpty() || !revisions.isEmpty() || !answer)) {
            throw new BadData("offers.none is not the reason of an answer alone");
        }
        return new StoreView(at, round, answer, proxy, revisions, Optional.ofNullable((String) none));
    }

    /** {@code "kubelet 1.29/stable"}: a snap and a channel, the key of a view's entry. */
    private static SnapChannel snapChannel(String key) {
        int space = key.indexOf(' ');
        if (space <= 0 || space == key.length() - 1 || key.indexOf(' ', space + 1) >= 0) {
            throw new BadData("offers key " + Json.abbreviate(key) + " is not \"<snap> <channel>\"");
        }
        return new SnapChannel(key.substring(0, space), key.substring(space + 1));
    }

    private static java.time.Instant instant(Map<?, ?> node, String field) {
        try {
            return java.time.Instant.parse(text(node, field));
        } catch (java.time.format.DateTimeParseException e) {
            throw new BadData(field + " is not a time: " + Json.abbreviate(String.valueOf(node.get(field))));
        }
    }

    private static Witnessed decodeWitnessed(String text) {
        Map<String, Object> node = object(text, KEY_WITNESSED);
        Progress progress = progressOf(node);
        if (!progress.phase().failed()) {
            throw new BadData("witnessed phase " + progress.phase().wire() + " is not a failure");
        }
        return new Witnessed(text(node, "unit"), progress);
    }

    private static Progress decodeProgress(String text) {
        return progressOf(object(text, KEY_PROGRESS));
    }

    private static Progress progressOf(Map<String, Object> node) {
        Phase phase = Phase.ofWire(text(node, "phase"))
                .orElseThrow(() -> new BadData("unknown phase " + Json.write(node.get("phase"))));
        Optional<Failure> failure = Optional.empty();
        Object failed = node.get("failure");
        if (failed != null) {
            if (!(failed instanceof Map<?, ?> f)) {
                throw new BadData("progress.failure is not an object");
            }
            failure = Optional.of(new Failure(text(f, "snap"), positive(f, "revision"), text(f, "error")));
        }
        if (phase.failed() != failure.isPresent()) {
            throw new BadData("progress phase " + phase.wire() + (failure.isPresent() ? " with" : " without")
                    + " a failure");
        }
        return new Progress(positiveLong(node, "plan"), positive(node, "attempt"), phase, failure);
    }

    // ---- app databag --------------------------------------------------------------------------------------

    public static Map<String, String> encodeApp(RolloutState state) {
        return encodeApp(state, Optional.empty(), Offers.NONE);
    }

    /**
     * The app databag; {@code tally} is the active plan's progress for waiting units' status, {@code offers} what
     * plans are made from and the leader's check round.
     */
    public static Map<String, String> encodeApp(RolloutState state, Optional<Tally> tally, Offers offers) {
        return encodeApp(state, tally, offers, Optional.empty());
    }

    /** The app databag with the max-unavailable in force for the active plan ({@code window}). */
    public static Map<String, String> encodeApp(RolloutState state, Optional<Tally> tally, Offers offers,
                                                Optional<Integer> window) {
        Map<String, String> out = new LinkedHashMap<>();
        out.put(KEY_SCHEMA, APP_SCHEMA);
        out.put(KEY_PLAN, state.plan().map(PeerCodec::encodePlan).orElse(""));
        out.put(KEY_GRANTS, Json.write(state.grants()));
        out.put(KEY_HALT, state.halt().map(h -> Json.write(fields("unit", h.unit(), "reason", h.reason())))
                .orElse(""));
        out.put(KEY_PAUSED, state.paused() ? "true" : "");
        out.put(KEY_TALLY, tally.map(t -> Json.write(List.of(t.controlPlaneDone(), t.controlPlaneTotal(),
                t.workersDone(), t.workersTotal()))).orElse(""));
        out.put(KEY_REQUESTED, state.requested().map(snaps -> Json.write(List.copyOf(new java.util.TreeSet<>(snaps))))
                .orElse(""));
        out.put(KEY_REFRESH, state.refresh().map(r -> {
            Map<String, Object> node = fields("asked", r.asked().toString());
            r.replaces().ifPresent(id -> node.put("replaces", id));
            return Json.write(node);
        }).orElse(""));
        out.put(KEY_OFFERS, offers.byArch().isEmpty() ? "" : encodeOffers(offers));
        CheckRound check = offers.check();
        out.put(KEY_CHECK, check.round() == 0 ? "" : Json.write(fields("round", check.round(), "at",
                check.at().toString(), "asked", check.asked())));
        out.put(KEY_WINDOW, window.map(String::valueOf).orElse(""));
        return out;
    }

    private static String encodeOffers(Offers offers) {
        Map<String, Object> byArch = new LinkedHashMap<>();
        offers.byArch().forEach((arch, entries) -> {
            Map<String, Object> ofArch = new LinkedHashMap<>();
            entries.forEach((sc, offer) -> ofArch.put(sc.toString(), fields("revision", offer.revision(),
                    "at", offer.at().toString(), "unit", offer.unit())));
            byArch.put(arch, ofArch);
        });
        return Json.write(fields("proxy", offers.proxy(), "serves", byArch));
    }

    private static String encodePlan(Plan plan) {
        List<Object> targets = new ArrayList<>();
        plan.targets().forEach(t -> {
            Map<String, Object> target = fields("snap", t.snap(), "channel", t.channel());
            if (!t.arch().equals(Target.ANY_ARCH)) {
                target.put("arch", t.arch());
            }
            target.put("revision", t.revision());
            targets.add(target);
        });
        Map<String, Object> node = fields("id", plan.id(), "attempt", plan.attempt(), "targets", targets,
                "complete", plan.complete());
        plan.replaces().ifPresent(id -> node.put("replaces", id));
        return Json.write(node);
    }

    /** The rollout state, or why the app databag cannot be read ({@code source} names it in the report). */
    public static AppReading decodeApp(String source, Map<String, String> databag) {
        Map<String, String> data = withoutEmpty(databag);
        if (data.isEmpty()) {
            return new AppReading.Read(RolloutState.EMPTY);
        }
        try {
            boolean before = requireAppSchema(data);
            Optional<Plan> plan = Optional.ofNullable(data.get(KEY_PLAN)).map(text -> decodePlan(text, before));
            List<String> grants = data.containsKey(KEY_GRANTS) ? names(data, KEY_GRANTS) : List.of();
            Optional<Set<String>> requested = data.containsKey(KEY_REQUESTED)
                    ? Optional.of(Set.copyOf(names(data, KEY_REQUESTED))) : Optional.empty();
            Optional<Halt> halt = Optional.empty();
            if (data.containsKey(KEY_HALT)) {
                Map<String, Object> node = object(data.get(KEY_HALT), KEY_HALT);
                halt = Optional.of(new Halt(text(node, "unit"), text(node, "reason")));
            }
            String paused = data.getOrDefault(KEY_PAUSED, "false");
            if (!paused.equals("true") && !paused.equals("false")) {
                throw new BadData("paused is " + Json.abbreviate(paused));
            }
            Optional<Tally> tally = Optional.empty();
            if (data.containsKey(KEY_TALLY)) {
                if (!(parse(data.get(KEY_TALLY), KEY_TALLY) instanceof List<?> node) || node.size() != 4) {
                    throw new BadData("tally is not a list of 4 counts");
                }
                long[] counts = new long[4];
                for (int i = 0; i < 4; i++) {
                    Object count = node.get(i);
                    counts[i] = integral(count).filter(c -> c >= 0)
                            .orElseThrow(() -> new BadData("tally holds " + Json.write(count)));
                }
                tally = Optional.of(new Tally(counts[0], counts[1], counts[2], counts[3]));
            }
            Optional<RefreshRequest> refresh = Optional.empty();
            if (data.containsKey(KEY_REFRESH)) {
                Map<String, Object> node = object(data.get(KEY_REFRESH), KEY_REFRESH);
                refresh = Optional.of(new RefreshRequest(instant(node, "asked"), node.containsKey("replaces")
                        ? Optional.of(positiveLong(node, "replaces")) : Optional.empty()));
            }
            CheckRound check = data.containsKey(KEY_CHECK) ? decodeCheck(data.get(KEY_CHECK)) : CheckRound.NONE;
            Offers offers = data.containsKey(KEY_OFFERS) ? decodeOffers(data.get(KEY_OFFERS), check)
                    : Offers.NONE.withCheck(check);
            Optional<Soak.Entry> soak;
            try {
                // Checked here so that a damaged soak is unreadable rollout data like any other key (a guess could
                // skip a soak).
                soak = Soak.Entry.decode(data.get(Soak.KEY));
            } catch (IllegalArgumentException e) {
                throw new BadData(e.getMessage());
            }
            Optional<Integer> window = Optional.empty();
            if (data.containsKey(KEY_WINDOW)) {
                String text = data.get(KEY_WINDOW);
                window = Optional.of(integral(parse(text, KEY_WINDOW)).filter(w -> w >= 1 && w <= MAX_WINDOW)
                        .map(Long::intValue).orElseThrow(() -> new BadData("window is " + Json.abbreviate(text))));
            }
            return new AppReading.Read(new RolloutState(plan, grants, halt, paused.equals("true"), requested,
                    refresh), tally, offers, window, soak);
        } catch (BadData e) {
            return new AppReading.Unreadable(new Malformed(source, e.getMessage()));
        }
    }

    private static CheckRound decodeCheck(String text) {
        Map<String, Object> node = object(text, KEY_CHECK);
        long round = positiveLong(node, "round");
        List<String> names = namesOf(node.get("asked"), "check.asked");
        if (names.size() > CheckRound.MAX_ASKED) {
            throw new BadData("check.asked names " + names.size() + " units, more than " + CheckRound.MAX_ASKED);
        }
        return new CheckRound(round, instant(node, "at"), names);
    }

    private static Offers decodeOffers(String text, CheckRound check) {
        Map<String, Object> node = object(text, KEY_OFFERS);
        if (!(node.get("proxy") instanceof String proxy)) {
            throw new BadData("offers.proxy is not a string");
        }
        if (!(node.get("serves") instanceof Map<?, ?> byArch)) {
            throw new BadData("offers.serves is not an object");
        }
        Map<String, Map<SnapChannel, Offers.Offer>> out = new TreeMap<>();
        int entries = 0;
        for (Map.Entry<?, ?> arch : byArch.entrySet()) {
            if (!ARCH.matcher((String) arch.getKey()).matches() || !(arch.getValue() instanceof Map<?, ?> ofArch)) {
                throw new BadData("offers.serves." + Json.abbreviate((String) arch.getKey())
                        + " is not an architecture's offers");
            }
            Map<SnapChannel, Offers.Offer> offers = new TreeMap<>();
            for (Map.Entry<?, ?> entry : ofArch.entrySet()) {
                if (!(entry.getValue() instanceof Map<?, ?> offer)) {
                    throw new BadData("offers entry " + Json.abbreviate((String) entry.getKey()) + " is not an object");
                }
                offers.put(snapChannel((String) entry.getKey()), new Offers.Offer(positive(offer, "revision"),
                        instant(offer, "at"), text(offer, "unit")));
                entries++;
            }
            out.put((String) arch.getKey(), offers);
        }
        if (entries > Offers.MAX_ENTRIES) {
            throw new BadData("offers hold " + entries + " entries, more than " + Offers.MAX_ENTRIES);
        }
        return new Offers(proxy, out, check);
    }

    /**
     * Snap names as a report carries them (what it was written for, what its done covered): at most {@code max}.
     */
    private static java.util.SortedSet<String> snapNames(String text, String key, int max) {
        List<String> snaps = namesOf(parse(text, key), key);
        if (snaps.size() > max) {
            throw new BadData(key + " holds " + snaps.size() + " snaps, more than " + max);
        }
        for (String snap : snaps) {
            if (!SNAP_NAME.matcher(snap).matches()) {
                throw new BadData(key + " holds " + Json.abbreviate(snap) + ", not a snap name");
            }
        }
        return new java.util.TreeSet<>(snaps);
    }

    /** A JSON list of names (units, snaps) under {@code key}. */
    private static List<String> names(Map<String, String> data, String key) {
        return namesOf(parse(data.get(key), key), key);
    }

    private static List<String> namesOf(Object node, String key) {
        if (!(node instanceof List<?> list)) {
            throw new BadData(key + " is not a list");
        }
        List<String> names = new ArrayList<>();
        for (Object item : list) {
            if (!(item instanceof String name)) {
                throw new BadData(key + " holds a non-name " + Json.write(item));
            }
            names.add(name);
        }
        return names;
    }

    /** A plan; of app schema 1 ({@code before}), its targets are for every architecture. */
    private static Plan decodePlan(String text, boolean before) {
        Map<String, Object> node = object(text, KEY_PLAN);
        if (!(node.get("targets") instanceof List<?> targets)) {
            throw new BadData("plan.targets is not a list");
        }
        List<Target> parsed = new ArrayList<>();
        for (Object target : targets) {
            if (!(target instanceof Map<?, ?> t)) {
                throw new BadData("plan.targets holds a non-object");
            }
            String arch = Target.ANY_ARCH;
            if (!before && t.containsKey("arch")) {
                arch = text(t, "arch");
                if (!ARCH.matcher(arch).matches()) {
                    throw new BadData("plan target arch " + Json.abbreviate(arch) + " is not an architecture name");
                }
            }
            parsed.add(new Target(text(t, "snap"), text(t, "channel"), arch, positive(t, "revision")));
        }
        if (!(node.get("complete") instanceof Boolean complete)) {
            throw new BadData("plan.complete is not true or false");
        }
        long id = positiveLong(node, "id");
        // Absent in a plan that replaced none, and in one written by an earlier version, which reads plans by their
        // keys and so ignores this one (it counts a failed unit of the replaced plan done, as it always did).
        Optional<Long> replaces = node.containsKey("replaces") ? Optional.of(positiveLong(node, "replaces"))
                : Optional.empty();
        if (replaces.filter(r -> r >= id).isPresent()) {
            throw new BadData("plan " + id + " replaces plan " + replaces.get() + ", not an earlier one");
        }
        return new Plan(id, positive(node, "attempt"), parsed, complete, replaces);
    }

    /** The app databag read: a state, or why not. */
    public sealed interface AppReading permits AppReading.Read, AppReading.Unreadable {
        /**
         * {@code window}: the max-unavailable the leader put in force for the active plan, absent when it wrote
         * none. {@code soak}: the soak entry (leader rule 9), absent when there is none.
         */
        record Read(RolloutState state, Optional<Tally> tally, Offers offers, Optional<Integer> window,
                    Optional<Soak.Entry> soak) implements AppReading {
            public Read(RolloutState state, Optional<Tally> tally, Offers offers, Optional<Integer> window) {
                this(state, tally, offers, window, Optional.empty());
            }

            public Read(RolloutState state, Optional<Tally> tally, Offers offers) {
                this(state, tally, offers, Optional.empty());
            }

            public Read(RolloutState state) {
                this(state, Optional.empty());
            }

            public Read(RolloutState state, Optional<Tally> tally) {
                this(state, tally, Offers.NONE);
            }
        }

        record Unreadable(Malformed malformed) implements AppReading {
        }
    }

    // ---- helpers ------------------------------------------------------------------------------------------

    private static final class BadData extends RuntimeException {
        BadData(String message) {
            super(message, null, false, false);
        }
    }

    private static Map<String, String> withoutEmpty(Map<String, String> databag) {
        Map<String, String> out = new LinkedHashMap<>();
        databag.forEach((k, v) -> {
            if (v != null && !v.isEmpty()) {
                out.put(k, v);
            }
        });
        return out;
    }

    private static void requireSchema(Map<String, String> data) {
        String schema = data.get(KEY_SCHEMA);
        if (schema == null) {
            throw new BadData("no schema");
        }
        if (!schema.equals(SCHEMA)) {
            throw new BadData("schema " + Json.abbreviate(schema) + " (this charm reads schema " + SCHEMA + ")");
        }
    }

    /** Whether the app databag is of the previous schema (1); throws for any schema but 1 and 2. */
    private static boolean requireAppSchema(Map<String, String> data) {
        String schema = data.get(KEY_SCHEMA);
        if (schema == null) {
            throw new BadData("no schema");
        }
        if (!schema.equals(APP_SCHEMA) && !schema.equals(APP_SCHEMA_BEFORE)) {
            throw new BadData("schema " + Json.abbreviate(schema) + " (this charm reads schema " + APP_SCHEMA_BEFORE
                    + " and " + APP_SCHEMA + ")");
        }
        return schema.equals(APP_SCHEMA_BEFORE);
    }

    private static String require(Map<String, String> data, String key) {
        String value = data.get(key);
        if (value == null) {
            throw new BadData("no " + key);
        }
        return value;
    }

    /** A JSON object's fields in the order given: name, value, name, value... */
    private static Map<String, Object> fields(Object... namesAndValues) {
        Map<String, Object> map = new LinkedHashMap<>();
        for (int i = 0; i < namesAndValues.length; i += 2) {
            map.put((String) namesAndValues[i], namesAndValues[i + 1]);
        }
        return map;
    }

    private static Object parse(String text, String what) {
        try {
            return Json.parse(text);
        } catch (IllegalArgumentException e) {
            throw new BadData(what + " is not JSON: " + Json.abbreviate(text));
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> object(String text, String what) {
        if (!(parse(text, what) instanceof Map<?, ?> node)) {
            throw new BadData(what + " is not an object");
        }
        return (Map<String, Object>) node;
    }

    private static String text(Map<?, ?> node, String field) {
        if (!(node.get(field) instanceof String value) || value.isEmpty()) {
            throw new BadData("missing or empty " + field);
        }
        return value;
    }

    /** A whole number: an integer, or a number with no fraction (3.0), as peers of any version may write. */
    private static Optional<Long> integral(Object value) {
        if (value instanceof Integer || value instanceof Long) {
            return Optional.of(((Number) value).longValue());
        }
        if (value instanceof Double d && d == Math.rint(d) && Math.abs(d) < 0x1p63) {
            return Optional.of(d.longValue());
        }
        return Optional.empty();
    }

    private static int positive(Map<?, ?> node, String field) {
        long value = positiveLong(node, field);
        if (value > Integer.MAX_VALUE) {
            throw new BadData(field + " too large");
        }
        return (int) value;
    }

    private static long positiveLong(Map<?, ?> node, String field) {
        return integral(node.get(field)).filter(value -> value > 0)
                .orElseThrow(() -> new BadData(field + " is not a positive integer"));
    }
}
