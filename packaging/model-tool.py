# One Juju hook tool (named by the first argument) of a model of the units snap-coherence/0 (the leader) and
# snap-coherence/1, kept in files under MODEL_DIR. As Juju: relation-get -r <id> [--app] --format=json - <unit or
# app> reads a databag, relation-set -r <id> [--app] --file - merges one (an empty value deletes the key),
# state-set --file - merges the unit store (an empty value is kept as "": only state-delete deletes), is-leader
# answers per unit; each as the charm's HookTools interface documents it (src/main/java/io/snapcoherence/juju/HookTools.java).
#
# Not a hook tool: "age-last-look <minutes>" puts each unit's last look at the store (unit store key store-check)
# back by that long, as a model looks when its next update-status or config change comes: StoreCheck.EVERY (one
# minute) after the look, so that hook looks again, as it does every five minutes in a deployment.
import datetime, json, os, sys
tool, args = sys.argv[1], sys.argv[2:]
model, unit = os.environ["MODEL_DIR"], os.environ.get("JUJU_UNIT_NAME", "")
units = ["snap-coherence/0", "snap-coherence/1"]
relation = args[args.index("-r") + 1] if "-r" in args else None
def path(name):
    return os.path.join(model, name.replace("/", "-") + ".json")
def load(name):
    try:
        with open(path(name)) as f:
            return json.load(f)
    except FileNotFoundError:
        return {}
def merge(name, values, drop_empty):
    data = load(name)
    data.update(values)
    with open(path(name), "w") as f:
        json.dump({k: v for k, v in data.items() if v != "" or not drop_empty}, f, sort_keys=True)
    with open(os.path.join(model, "writes"), "a") as f:
        f.write(f"{unit} {os.environ.get('JUJU_DISPATCH_PATH')} {tool} {' '.join(args)}\n")
if tool == "age-last-look":
    for name in sorted(os.listdir(model)):
        if name.startswith("store-") and name.endswith(".json"):
            data = load(name[:-len(".json")])
            if data.get("store-check"):
                check = json.loads(data["store-check"])
                at = datetime.datetime.fromisoformat(check["at"].rstrip("Z")[:26])
                check["at"] = (at - datetime.timedelta(minutes=int(args[0]))).isoformat() + "Z"
                data["store-check"] = json.dumps(check, separators=(",", ":"))
                with open(os.path.join(model, name), "w") as f:
                    json.dump(data, f, sort_keys=True)
elif tool == "is-leader":
    print(json.dumps(unit == units[0]))
elif tool == "state-get":
    print(json.dumps(load("store-" + unit)))
elif tool == "state-set":
    merge("store-" + unit, json.load(sys.stdin), False)
elif tool == "relation-list":
    if "--app" in args:
        print(json.dumps("snap-coherence"))
    elif relation == "coherence:2":
        print(json.dumps([u for u in units if u != unit]))
    else:
        print(json.dumps([os.environ["JUJU_PRINCIPAL_UNIT"]]))
elif tool == "relation-get":
    owner = ("app-" if "--app" in args else "unit-") + args[-1]
    print(json.dumps(load(owner) if relation == "coherence:2" else {}))
elif tool == "relation-set":
    owner = "app-snap-coherence" if "--app" in args else "unit-" + unit
    if relation == "coherence:2":
        merge(owner, json.load(sys.stdin), True)
    else:
        sys.stdin.read()
else:
    sys.exit(f"{tool}: not modelled")
