import ArgumentParser
import Foundation
import EdgeWorld
import IPIPE
import JSONConfig
import ResultsStore
import Runner
import SimKernel

struct IPIPEServe: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ipipe-serve",
        abstract: "Serve PPipe's reference instances with IPIPE and its baselines, and find the load each sustains.",
        discussion: """
            For each IPIPE plan file of the PPipe artifact (plans/maf19/*_v4.json under \
            --reference) and its NP (_bl) and DART-r (_dart-r) siblings, serves every model on \
            the workers its plan lays out, with Poisson arrivals at a load factor × IPIPE's planned \
            throughput for --duration-s simulated seconds, from 100 % down in --step percent steps \
            until drops plus late requests are at most 1 % (the artifact's sweep). A request is \
            late when its result leaves the last stage after its deadline.

            Systems: ipipe (IPIPE's plan, reservation data plane), np (whole models, no MPS), \
            dart-r (1 high + 1 low GPU pipelines) and reactive (IPIPE's plan with an SLO-aware \
            balancer at each stage instead of reservations). --plans reference serves the \
            artifact's own plans; --plans ours plans the same instances with our MILP (slower: \
            about 2.5 minutes for all 24 groups).

            Prints a row per group, system and model (load factor, loss at it, low-class GPU \
            utilisation), then each system's throughput (mean load factor) and low-class \
            utilisation per group, and IPIPE's gains. docs/validation.md shows the table.

              arsim ipipe-serve --reference ../shared/reference-data/ppipe --only L4-T4
              arsim ipipe-serve --reference ../shared/reference-data/ppipe --systems ipipe,np --duration-s 10

            With --scenario, serves your own cluster and models instead (a pool scenario file: \
            GPU types with counts, servers, MPS levels and cost per hour; models from profile \
            files), planned by our MILP, and prints per system the plan, the load it sustains, \
            each pool's utilisation and the cost per million requests served on time. The file's \
            own duration_s, seed, step_percent and systems apply; the options above do not.

              arsim ipipe-serve --scenario Workloads/papers/ipipe/l4-t4-small.json
            """)

    @Option(help: "The PPipe reference data (models/, plans/, prepartition_mappings/).")
    var reference: String?

    @Option(help: "A pool scenario instead: your own cluster and models (docs/policies/ipipe.md), planned by our MILP.")
    var scenario: String?

    @Option(help: "With --scenario: also record the run and each system's plan and outcome (the plans table) in this results database.")
    var db: String?

    @Option(help: "Only plan files whose name contains this (e.g. L4-T4, or a model's name).")
    var only: String?

    @Option(help: "Whose plans to serve: reference (the artifact's) or ours (our MILP on the same instances).")
    var plans: String = "reference"

    @Option(help: "Comma-separated systems: ipipe, np, dart-r, reactive.")
    var systems: String = "ipipe,np,dart-r,reactive"

    @Option(name: .customLong("duration-s"), help: "Simulated seconds of arrivals per load factor (the artifact's 30).")
    var durationSeconds: Double = 30

    @Option(help: "Which instances share a NIC: server (a stage's gpus-per-server × MPS instances, as the planner assumes) or artifact (as the artifact's simulator: each last-stage instance on a NIC of its own).")
    var nic: String = "server"

    @Option(help: "Which late requests count against the 1 %: all (where the result leaves the last stage) or artifact (as the artifact's parser, which misses those of multi-stage pipelines).")
    var late: String = "all"

    @Option(help: "Percent between load factors tried.")
    var step: Int = 5

    @Option(help: "Seed of the arrival streams (one per model, the same for every system and load).")
    var seed: UInt64 = 1

    @Flag(help: "Also print every load factor tried, with each model's loss there (to standard error).")
    var probes = false

    @Option(help: "Branch-and-bound nodes after which our MILP keeps its best plan (--plans ours).")
    var nodeLimit: Int = 50_000

    static let known = ["ipipe", "np", "dart-r", "reactive"]

    func validate() throws {
        guard (reference == nil) != (scenario == nil) else { throw ValidationError("expected either --reference or --scenario") }
        if db != nil && scenario == nil { throw ValidationError("--db: only with --scenario") }
        guard PoolNICLayout(rawValue: nic) != nil else { throw ValidationError("--nic: " + Suggestion.unknownName(nic, kind: "NIC layout", valid: PoolNICLayout.allCases.map(\.rawValue))) }
        guard ["all", "artifact"].contains(late) else { throw ValidationError("--late: " + Suggestion.unknownName(late, kind: "lateness rule", valid: ["all", "artifact"])) }
        guard ["reference", "ours"].contains(plans) else { throw ValidationError("--plans: expected reference or ours, got \(plans)") }
        for s in systemList where !Self.known.contains(s) {
            throw ValidationError("--systems: " + Suggestion.unknownName(s, kind: "system", valid: Self.known))
        }
        guard !systemList.isEmpty else { throw ValidationError("--systems: expected at least one system") }
        guard durationSeconds > 0, durationSeconds <= 3600 else { throw ValidationError("--duration-s: expected seconds in (0, 3600]") }
        guard step > 0, step < 100 else { throw ValidationError("--step: expected a percent in 1…99") }
        guard nodeLimit > 0 else { throw ValidationError("--node-limit: expected a positive count") }
    }

    var systemList: [String] { systems.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }

    func run() throws {
        if let scenario { return try runScenario(scenario) }
        let dir = reference! + "/plans/maf19"
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: dir) else {
            throw fail("--reference: \(dir) cannot be read (expected the PPipe reference data, with plans/maf19)", code: 2)
        }
        let files = names.sorted().filter { $0.hasSuffix("_v4.json") && (only.map($0.contains) ?? true) }
        if files.isEmpty { throw fail("no IPIPE plan file in \(dir) matches --only \(only ?? "")", code: 2) }
        let duration = SimTime((durationSeconds * 1e9).rounded())
        print("cluster\tmodels\tsystem\tmodel\tplanned_rps\tload_factor\tloss\tloss_as_artifact_parses\tlow_class_util")
        var groups: [ServedGroup] = []
        for f in files {
            do { groups.append(try serve(dir + "/" + f, duration: duration)) } catch { throw fail("\(error)", code: 2) }
        }
        print("")
        print("cluster\tmodels\t" + systemList.map { "\($0)_throughput\t\($0)_low_util" }.joined(separator: "\t"))
        for g in groups {
            print("\(g.cluster)\t\(g.models)\t" + systemList.map { String(format: "%.3f\t%.3f", g.throughput[$0]!, g.lowUtil[$0]!) }.joined(separator: "\t"))
        }
        print("")
        for system in systemList {
            let t = groups.map { $0.throughput[system]! }, u = groups.map { $0.lowUtil[system]! }
            print(String(format: "%@: throughput (mean load factor) %.3f, low-class utilisation %.3f, over %d groups", system,
                         t.reduce(0, +) / Double(t.count), u.reduce(0, +) / Double(u.count), groups.count))
        }
        guard systemList.contains("ipipe") else { return }
        for other in systemList where other != "ipipe" {
            let gains = groups.compactMap { g in g.throughput[other]! > 0 ? g.throughput["ipipe"]! / g.throughput[other]! : nil }
            let points = groups.map { 100 * ($0.lowUtil["ipipe"]! - $0.lowUtil[other]!) }
            guard let lo = gains.min(), let hi = gains.max() else { continue }
            print(String(format: "IPIPE / %@: throughput %.2f–%.2f× (mean %.2f×); low-class utilisation %+.1f to %+.1f points (mean %+.1f)", other,
                         lo, hi, gains.reduce(0, +) / Double(gains.count), points.min()!, points.max()!, points.reduce(0, +) / Double(points.count)))
        }
    }

    struct ServedGroup {
        var cluster: String
        var models: String
        var throughput: [String: Double] = [:]
        var lowUtil: [String: Double] = [:]
    }

    /// One group: its plans, then the sweep for every system.
    func serve(_ v4Path: String, duration: SimTime) throws -> ServedGroup {
        let v4 = try PPipeReference.instance(v4Path, root: reference!, nodeLimit: nodeLimit)
        let blPath = v4Path.replacingOccurrences(of: "_v4.json", with: "_bl.json")
        let dartPath = v4Path.replacingOccurrences(of: "_v4.json", with: "_dart-r.json")
        let bl = try PPipeReference.instance(blPath, root: reference!, nodeLimit: nodeLimit)
        var out = ServedGroup(cluster: v4.cluster.map { "\($0.count) \($0.name)" }.joined(separator: " + "),
                              models: v4.models.map { String($0.name.prefix(while: { $0 != "_" })) }.joined(separator: ","))
        // IPIPE's planned throughput per model is every system's reference load (as in the artifact).
        let ipipePipelines: [[PlannedPipeline]], reference: [Double]
        if plans == "ours" {
            let plan = PoolPlanner.plan(v4.models, cluster: v4.cluster, options: v4.options)
            (ipipePipelines, reference) = (plan.pipelines, plan.throughput)
        } else {
            (ipipePipelines, reference) = (try PPipeReference.pipelines(v4Path, instance: v4), v4.artifactThroughput)
        }
        let layout = PoolNICLayout(rawValue: nic)!
        for system in systemList {
            let setup: PoolServingSetup
            switch system {
            case "np":
                let pipelines = plans == "ours" ? PoolPlanner.plan(bl.models, cluster: bl.cluster, options: bl.options).pipelines
                    : try PPipeReference.pipelines(blPath, instance: bl)
                setup = PoolServingSetup(models: bl.models, cluster: bl.cluster, nicGbps: bl.options.nicGbps, pipelines: pipelines, dataPlane: .reservation, nicLayout: layout)
            case "dart-r":
                let pipelines: [[PlannedPipeline]]
                if plans == "ours" {
                    let np = PoolPlanner.plan(bl.models, cluster: bl.cluster, options: bl.options)
                    pipelines = DARTr.plan(v4.models, cluster: v4.cluster, np: np.pipelines, options: v4.options)
                } else {
                    pipelines = try PPipeReference.pipelines(dartPath, instance: v4)
                }
                setup = PoolServingSetup(models: v4.models, cluster: v4.cluster, nicGbps: v4.options.nicGbps, pipelines: pipelines, dataPlane: .reservation, nicLayout: layout)
            default:
                setup = PoolServingSetup(models: v4.models, cluster: v4.cluster, nicGbps: v4.options.nicGbps, pipelines: ipipePipelines,
                                         dataPlane: system == "reactive" ? .reactive : .reservation, nicLayout: layout)
            }
            let capacity = PoolServing.stepDown(setup, reference: reference, duration: duration, seed: seed, stepPercent: step,
                                                loss: late == "all" ? { $0.loss } : { $0.lossAsArtifactParses })
            if probes {
                for p in capacity.probes {
                    let losses = p.outcomes.map { $0.map { String(format: "%.4f (%d dropped, %d late of %d)", $0.loss, $0.dropped, $0.late, $0.arrivals) } ?? "-" }
                        .joined(separator: ", ")
                    FileHandle.standardError.write(Data("\(out.cluster) \(system) \(p.percent)%: loss \(losses)\n".utf8))
                }
            }
            var lowBusy = 0.0, sum = 0.0
            for d in v4.models.indices {
                let lf = capacity.loadFactor[d]
                let at = capacity.atAnswer[d]
                let low = (at?.busyGPUSeconds[1] ?? 0) / (Double(v4.cluster[1].count) * Double(duration) / 1e9)
                lowBusy += low
                sum += lf ?? 0
                print([out.cluster, out.models, system, v4.models[d].name, String(format: "%.1f", reference[d]),
                       lf.map { String(format: "%.2f", $0) } ?? "none", at.map { String(format: "%.4f", $0.loss) } ?? "-",
                       at.map { String(format: "%.4f", $0.lossAsArtifactParses) } ?? "-",
                       String(format: "%.3f", low)].joined(separator: "\t"))
            }
            out.throughput[system] = sum / Double(v4.models.count)
            out.lowUtil[system] = lowBusy
        }
        return out
    }

    /// A pool scenario: our plans, the sweep, utilisation per pool and cost.
    func runScenario(_ path: String) throws {
        let pool: PoolScenario, report: PoolReport
        let clock = ContinuousClock(), started = clock.now
        do {
            pool = try PoolScenario.load(path: path)
        } catch {
            throw badInput(error)
        }
        // Opened before the plans are solved: an unusable --db is bad input, found at once.
        let store = try db.map { try openForWriting($0) }
        do {
            report = try pool.run()
        } catch {
            throw badInput(error)
        }
        if let store, let db { try record(report, pool: pool, path: path, store: store, db: db, wall: (clock.now - started)) }
        let types = pool.gpus.map(\.type)
        print("model\tslo_ms\tblocks\tipipe_planned_rps")
        for (m, r) in zip(report.models, report.reference) {
            print("\(m.name)\t\(String(format: "%.2f", m.slo / 1000))\t\(m.blocks)\t\(String(format: "%.1f", r))")
        }
        print("")
        print((["system", "objective", "status"] + types.map { "gpus_\($0)" } + ["load_factor"] + report.models.map { "lf_\($0.name)" }
               + types.map { "util_\($0)" } + ["served_rps", "usd_per_million"]).joined(separator: "\t"))
        for s in report.systems {
            print(([s.name, String(format: "%.1f", s.objective), s.status] + s.gpusUsed.map(String.init)
                   + [String(format: "%.3f", s.meanLoadFactor)] + s.loadFactor.map { $0.map { String(format: "%.2f", $0) } ?? "none" }
                   + s.utilisation.map { String(format: "%.3f", $0) }
                   + [String(format: "%.1f", s.served), s.usdPerMillion.map { String(format: "%.3f", $0) } ?? "-"]).joined(separator: "\t"))
        }
    }

    /// The run and one plans row per system: the plan, its solver status and gap, and what it sustained.
    func record(_ report: PoolReport, pool: PoolScenario, path: String, store: ResultsStore, db: String, wall: Duration) throws {
        let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
        let types = pool.gpus.map(\.type)
        let seconds = Double(wall.components.seconds) + Double(wall.components.attoseconds) / 1e18
        do {
            var info = RunInfo(scenarioName: pool.name, scenarioFile: path, scenarioJSON: text, seed: pool.seed, detail: .summary,
                               arsimVersion: ArsimVersion.current, digest: String(StableHash.fnv1a64("ipipe-serve\u{0}\(pool.seed)\u{0}\(text)"), radix: 16))
            info.label = "ipipe-serve"
            let run = try store.beginRun(info)
            try store.write(plans: report.systems.map { s in
                PlanRecord(time: 0, json: report.planJSON(s, types: types), objective: s.objective, solveSeconds: s.solveSeconds)
            }, run: run)
            try store.finishRun(run, status: .completed, summary: nil, eventsProcessed: 0,
                                simulatedEnd: SimTime((pool.durationSeconds * 1e9).rounded()), wallSeconds: seconds)
            note("recorded run \(run) in \(db): one plans row per system")
        } catch {
            throw fail("--db \(db): \(error)", code: 1)
        }
    }
}
