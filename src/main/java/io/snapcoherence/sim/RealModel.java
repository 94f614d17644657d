package io.snapcoherence.sim;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.snapcoherence.charm.CharmConfig;
import io.snapcoherence.coherence.Role;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A real model's snap-coherence topology and config, read from {@code juju status --format=yaml} (or
 * {@code --format=json}) and {@code juju config <app> --format=yaml}, for {@code rehearse --status}.
 *
 * <p>The shapes are Juju 3.x's (cmd/juju/status formatter.go {@code formatApplication}, {@code formatUnit},
 * {@code formatMachine}, {@code processApplicationRelations}; the YAML keys are the struct tags of formatted.go):
 * <ul>
 * <li>{@code applications.<app>.charm-name}: the charm's name from its URL, for charmhub and local charms alike
 * ({@code charm} holds the whole URL for a local charm, {@code local:snap-coherence-3}); absent before Juju 2.9, when
 * {@code charm} is read instead.</li>
 * <li>{@code applications.<app>.subordinate-to}: the principal applications of a subordinate; a subordinate
 * application has no {@code units} of its own: each unit is listed under its principal unit's
 * {@code subordinates}.</li>
 * <li>{@code applications.<app>.relations.<endpoint>}: since Juju 3.0 a list of
 * {@code {related-application, interface, scope}}; Juju 2.9 printed a list of application names. Both are read:
 * the endpoint ({@code control-plane} or {@code worker}) says which role a principal gives its units.</li>
 * <li>{@code applications.<principal>.units.<unit>}: {@code machine} (the machine id, {@code 0/lxd/1} for a
 * container), {@code leader: true} (omitted when false), {@code subordinates.<unit>} with the same fields but no
 * machine; {@code workload-status}/{@code juju-status} are {@code {current, message, since, version}}.</li>
 * <li>{@code machines.<id>.hardware}: the instance's hardware characteristics as one string,
 * {@code arch=amd64 cores=4 mem=16384M ...} (core/instance HardwareCharacteristics.String); containers are under
 * {@code machines.<host>.containers.<id>}.</li>
 * </ul>
 * {@code juju config --format=yaml} (cmd/juju/application config.go, Juju 3.x): {@code application}, {@code charm},
 * {@code settings.<key>} = {@code {default, description, source: default|user|unset, type, value}}.
 *
 * <p>Anything missing or of another shape is an {@link Unreadable} whose message is one line naming the file and
 * the path of what is wrong.
 */
public record RealModel(String modelName, String application, String statusFile, List<Member> members,
                        List<String> notes, Map<String, Setting> config) {
    public static final String CHARM = "snap-coherence";
    private static final Pattern UNIT = Pattern.compile("([a-z][a-z0-9-]*)/(\\d+)");
    private static final Pattern ARCH = Pattern.compile("(?:^|\\s)arch=(\\S+)");
    private static final String DEFAULT_ARCH = "amd64";

    public RealModel {
        members = List.copyOf(members);
        notes = List.copyOf(notes);
        config = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(config)); // in config.yaml's order
    }

    /** One snap-coherence unit as the status shows it. {@code archKnown} is false when its machine shows none. */
    public record Member(String unit, int number, Role role, String principal, String machine, String arch,
                         boolean archKnown, boolean leader) {
    }

    /** A config option as the rehearsal uses it, and whether the operator set it ({@code user}) or not. */
    public record Setting(Object value, boolean user) {
    }

    /** Input the rehearsal cannot use; the message is the one line to show. */
    public static final class Unreadable extends Exception {
        public Unreadable(String message) {
            super(message);
        }
    }

    public Optional<Member> leader() {
        return members.stream().filter(Member::leader).findFirst();
    }

    /** The config as hook tools would give it to the charm: every option, set or default. */
    public Map<String, Object> configValues() {
        Map<String, Object> values = new LinkedHashMap<>();
        config.forEach((key, setting) -> values.put(key, setting.value()));
        return values;
    }

    public static RealModel read(Path status, Optional<Path> config) throws Unreadable {
        String file = status.toString();
        JsonNode root = load(status);
        JsonNode applications = root.path("applications");
        if (!applications.isObject()) {
            throw new Unreadable(file + ": no applications (not the output of juju status --format=yaml)");
        }
        String app = ourApplication(file, applications);
        JsonNode ours = applications.get(app);
        String at = "applications." + app;
        if (!ours.path("subordinate-to").isArray() || ours.path("subordinate-to").isEmpty()) {
            throw new Unreadable(file + ": " + at + ": no subordinate-to (snap-coherence is a subordinate charm)");
        }
        Map<String, Role> roles = principalRoles(file, at, ours.path("relations"));
        List<String> notes = new ArrayList<>();
        List<Member> members = new ArrayList<>();
        for (Map.Entry<String, Role> principalApp : roles.entrySet()) {
            String papp = principalApp.getKey();
            JsonNode principal = applications.get(papp);
            if (principal == null || !principal.isObject()) {
                throw new Unreadable(file + ": applications." + papp + ": missing (" + app + " relates to it on "
                        + principalApp.getValue().endpoint() + ")");
            }
            JsonNode units = principal.path("units");
            if (units.isMissingNode() || units.isNull()) {
                notes.add(papp + " has no units");
                continue;
            }
            if (!units.isObject()) {
                throw new Unreadable(file + ": applications." + papp + ".units: not a mapping of units");
            }
            for (Iterator<Map.Entry<String, JsonNode>> it = units.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> unit = it.next();
                String unitAt = "applications." + papp + ".units." + unit.getKey();
                members.add(member(file, unitAt, app, unit.getKey(), unit.getValue(), principalApp.getValue(),
                        root.path("machines")));
            }
        }
        if (members.isEmpty()) {
            throw new Unreadable(file + ": no unit of " + app + " (no principal unit of " + String.join(" or ",
                    roles.keySet()) + ")");
        }
        members.sort(Comparator.comparingInt(Member::number));
        for (int i = 1; i < members.size(); i++) {
            if (members.get(i).number() == members.get(i - 1).number()) {
                throw new Unreadable(file + ": " + members.get(i).unit() + " is listed under both "
                        + members.get(i - 1).principal() + " and " + members.get(i).principal());
            }
        }
        List<Member> leaders = members.stream().filter(Member::leader).toList();
        if (leaders.size() > 1) {
            throw new Unreadable(file + ": " + leaders.get(0).unit() + " and " + leaders.get(1).unit()
                    + " are both marked leader: true");
        }
        if (leaders.isEmpty()) {
            Member first = members.get(0);
            members.set(0, new Member(first.unit(), first.number(), first.role(), first.principal(), first.machine(),
                    first.arch(), first.archKnown(), true));
            notes.add("no unit is marked leader: rehearsed with " + first.unit() + " leading");
        }
        members.stream().filter(m -> !m.archKnown()).findFirst().ifPresent(m -> notes.add("machine " + m.machine()
                + " (and " + members.stream().filter(x -> !x.archKnown()).count() + " in all) shows no arch= in its"
                + " hardware: rehearsed as " + DEFAULT_ARCH));
        return new RealModel(root.path("model").path("name").asText("?"), app, file, members, notes,
                readConfig(config, app));
    }

    private static JsonNode load(Path path) throws Unreadable {
        String text;
        try {
            text = Files.readString(path);
        } catch (IOException e) {
            throw new Unreadable(path + ": cannot read: " + e.getMessage());
        }
        try {
            // YAML is a superset of JSON as juju prints it: one mapper reads both formats.
            JsonNode root = new YAMLMapper().readTree(text);
            if (root == null || !root.isObject()) {
                throw new Unreadable(path + ": not a YAML or JSON mapping");
            }
            return root;
        } catch (JsonProcessingException e) {
            throw new Unreadable(path + ": not YAML or JSON: " + e.getOriginalMessage().lines().findFirst().orElse("")
                    + (e.getLocation() == null ? "" : " (line " + e.getLocation().getLineNr() + ")"));
        }
    }

    private static String ourApplication(String file, JsonNode applications) throws Unreadable {
        List<String> found = new ArrayList<>();
        applications.fields().forEachRemaining(entry -> {
            JsonNode app = entry.getValue();
            String name = app.path("charm-name").asText("");
            if (name.isEmpty()) {
                name = charmNameOf(app.path("charm").asText(""));
            }
            if (name.equals(CHARM)) {
                found.add(entry.getKey());
            }
        });
        if (found.isEmpty()) {
            throw new Unreadable(file + ": no application runs charm " + CHARM);
        }
        if (found.size() > 1) {
            throw new Unreadable(file + ": applications " + String.join(" and ", found) + " both run charm " + CHARM
                    + ": rehearse one at a time (juju status " + found.get(0) + " "
                    + "kubernetes-control-plane kubernetes-worker --format=yaml)");
        }
        return found.get(0);
    }

    /** {@code ch:amd64/jammy/snap-coherence-12}, {@code local:snap-coherence-0}, {@code snap-coherence} -> the name. */
    static String charmNameOf(String url) {
        String name = url.substring(url.lastIndexOf('/') + 1);
        name = name.substring(name.indexOf(':') + 1);
        return name.replaceFirst("-\\d+$", "");
    }

    private static Map<String, Role> principalRoles(String file, String at, JsonNode relations) throws Unreadable {
        Map<String, Role> roles = new LinkedHashMap<>();
        for (Role role : List.of(Role.CONTROL_PLANE, Role.WORKER)) {
            JsonNode related = relations.path(role.endpoint());
            if (related.isMissingNode() || related.isNull()) {
                continue;
            }
            if (!related.isArray()) {
                throw new Unreadable(file + ": " + at + ".relations." + role.endpoint() + ": not a list");
            }
            for (JsonNode entry : related) {
                String name = entry.isTextual() ? entry.asText() : entry.path("related-application").asText("");
                if (name.isEmpty()) {
                    throw new Unreadable(file + ": " + at + ".relations." + role.endpoint()
                            + ": an entry without related-application");
                }
                Role before = roles.put(name, role);
                if (before != null && before != role) {
                    throw new Unreadable(file + ": " + at + ".relations: " + name + " is related on both "
                            + before.endpoint() + " and " + role.endpoint());
                }
            }
        }
        if (roles.isEmpty()) {
            throw new Unreadable(file + ": " + at + ".relations: no control-plane or worker relation");
        }
        return roles;
    }

    private static Member member(String file, String at, String app, String principal, JsonNode unit, Role role,
                                 JsonNode machines) throws Unreadable {
        JsonNode subordinates = unit.path("subordinates");
        List<String> ours = new ArrayList<>();
        subordinates.fieldNames().forEachRemaining(name -> {
            if (name.startsWith(app + "/")) {
                ours.add(name);
            }
        });
        if (ours.isEmpty()) {
            throw new Unreadable(file + ": " + at + ": no subordinate of " + app);
        }
        if (ours.size() > 1) {
            throw new Unreadable(file + ": " + at + ": two subordinates of " + app + " (" + String.join(", ", ours)
                    + ")");
        }
        String name = ours.get(0);
        Matcher matcher = UNIT.matcher(name);
        if (!matcher.matches()) {
            throw new Unreadable(file + ": " + at + ".subordinates." + name + ": not a unit name");
        }
        JsonNode machineId = unit.path("machine");
        if (!machineId.isTextual() && !machineId.isNumber()) {
            throw new Unreadable(file + ": " + at + ": no machine (rehearse reads machine models only)");
        }
        String machine = machineId.asText();
        JsonNode host = machineNode(machines, machine);
        if (host == null) {
            throw new Unreadable(file + ": machines." + machine + ": missing (" + principal + " runs on it)");
        }
        Optional<String> arch = archOf(host);
        if (arch.isEmpty() && machine.contains("/")) {
            arch = Optional.ofNullable(machineNode(machines, machine.substring(0, machine.indexOf('/'))))
                    .flatMap(RealModel::archOf);
        }
        boolean leader = subordinates.path(name).path("leader").asBoolean(false);
        return new Member(name, Integer.parseInt(matcher.group(2)), role, principal, machine,
                arch.orElse(DEFAULT_ARCH), arch.isPresent(), leader);
    }

    /** {@code 3} -> machines.3; {@code 3/lxd/1} -> machines.3.containers."3/lxd/1". */
    private static JsonNode machineNode(JsonNode machines, String id) {
        if (!id.contains("/")) {
            JsonNode node = machines.get(id);
            return node != null && node.isObject() ? node : null;
        }
        JsonNode host = machineNode(machines, id.substring(0, id.indexOf('/')));
        JsonNode node = host == null ? null : host.path("containers").get(id);
        return node != null && node.isObject() ? node : null;
    }

    private static Optional<String> archOf(JsonNode machine) {
        Matcher matcher = ARCH.matcher(machine.path("hardware").asText(""));
        return matcher.find() ? Optional.of(matcher.group(1)) : Optional.empty();
    }

    // ---- juju config <app> --format=yaml ---------------------------------------------------------------------

    /** The charm's options with their defaults (config.yaml), overridden by what the operator set. */
    private static Map<String, Setting> readConfig(Optional<Path> path, String app) throws Unreadable {
        Map<String, Setting> config = new LinkedHashMap<>();
        CharmConfig defaults = CharmConfig.defaults();
        config.put("proxy-url", new Setting("", false));
        config.put("store-id", new Setting("", false));
        config.put("snaps", new Setting(String.join(" ", defaults.snaps()), false));
        config.put("max-unavailable", new Setting(defaults.maxUnavailable(), false));
        config.put("auto-refresh", new Setting(defaults.autoRefresh(), false));
        config.put("hold", new Setting(defaults.hold(), false));
        config.put("on-failure", new Setting(defaults.onFailure().name().toLowerCase(java.util.Locale.ROOT), false));
        if (path.isEmpty()) {
            return config;
        }
        String file = path.get().toString();
        JsonNode root = load(path.get());
        String charm = root.path("charm").asText("");
        if (!charmNameOf(charm).equals(CHARM)) {
            throw new Unreadable(file + ": charm is " + (charm.isEmpty() ? "missing" : charm) + ", not " + CHARM
                    + " (juju config " + app + " --format=yaml)");
        }
        String application = root.path("application").asText("");
        if (!application.isEmpty() && !application.equals(app)) {
            throw new Unreadable(file + ": application is " + application + ", but the status shows " + app);
        }
        JsonNode settings = root.path("settings");
        if (!settings.isObject()) {
            throw new Unreadable(file + ": no settings (not the output of juju config " + app + " --format=yaml)");
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = settings.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> entry = it.next();
            String key = entry.getKey();
            if (!config.containsKey(key)) {
                throw new Unreadable(file + ": settings." + key + ": not an option of this " + CHARM);
            }
            JsonNode option = entry.getValue();
            if (!option.path("source").asText("").equals("user")) {
                continue; // this charm's own default applies
            }
            JsonNode value = option.get("value");
            if (value == null || value.isNull() || value.isContainerNode()) {
                throw new Unreadable(file + ": settings." + key + ": source user but no value");
            }
            config.put(key, new Setting(value.isBoolean() ? (Object) value.asBoolean()
                    : value.isIntegralNumber() ? (Object) value.asInt() : value.asText(), true));
        }
        try {
            Map<String, Object> raw = new LinkedHashMap<>();
            config.forEach((key, setting) -> raw.put(key, setting.value()));
            CharmConfig.parse(raw);
        } catch (CharmConfig.InvalidConfigException e) {
            throw new Unreadable(file + ": " + e.getMessage());
        }
        return config;
    }
}
