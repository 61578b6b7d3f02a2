import ArgumentParser
import Foundation
import IPIPE

struct IPIPEPlans: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ipipe-plans",
        abstract: "Plan PPipe's reference instances with IPIPE's MILP and compare with the artifact's plans.",
        discussion: """
            Reads each plan file of the PPipe artifact (plans/maf19 under --reference: IPIPE's \
            `_v4` plans, the NP baseline's `_bl` plans and DART-r's `_dart-r` plans, ours planned \
            from the artifact's NP plan of the group), plans the same models on the same \
            cluster from the artifact's measured block latencies (models/block-timing-tf32) and \
            cut sizes (prepartition_mappings), and prints our objective (min over models of \
            planned throughput / weight) beside the artifact's, with the solver's status and \
            time. Nothing is written. docs/validation.md shows the table.

              arsim ipipe-plans --reference ../shared/reference-data/ppipe
              arsim ipipe-plans --reference ../shared/reference-data/ppipe --only L4-T4 --kind v4
            """)

    @Option(help: "The PPipe reference data (models/, plans/, prepartition_mappings/).")
    var reference: String

    @Option(help: "Only plan files whose name contains this (e.g. L4-T4, or a model's name).")
    var only: String?

    @Option(help: "Which plans: v4 (IPIPE), bl (NP), dart-r (DART-r, from the artifact's NP plan), or all.")
    var kind: String = "all"

    @Option(help: "Stages per IPIPE pipeline: 2 as in the artifact's plans, 3 for its ablation (then the artifact's objective is the two-stage one).")
    var maxStages: Int = 2

    @Option(help: "Branch-and-bound nodes after which the solver keeps its best plan (a count, so the stop is the same on every machine); default 50,000, or 2,000 with --max-stages 3, whose programs are far larger.")
    var nodeLimit: Int?

    var nodes: Int { nodeLimit ?? (maxStages == 3 ? 2_000 : 50_000) }

    func validate() throws {
        guard ["v4", "bl", "dart-r", "all"].contains(kind) else { throw ValidationError("--kind: expected v4, bl, dart-r or all, got \(kind)") }
        guard (nodeLimit ?? 1) > 0 else { throw ValidationError("--node-limit: expected a positive count") }
        guard (2...3).contains(maxStages) else { throw ValidationError("--max-stages: expected 2 or 3, got \(maxStages)") }
    }

    func run() throws {
        let dir = reference + "/plans/maf19"
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: dir) else {
            throw fail("--reference: \(dir) cannot be read (expected the PPipe reference data, with plans/maf19)", code: 2)
        }
        let files = names.sorted().filter { n in
            n.hasSuffix(".json") && (kind == "all" ? ["_v4.json", "_bl.json", "_dart-r.json"].contains { n.hasSuffix($0) } : n.hasSuffix("_\(kind).json"))
                && (only.map { n.contains($0) } ?? true)
        }
        if files.isEmpty { throw fail("no plan file in \(dir) matches --only \(only ?? "") --kind \(kind)", code: 2) }
        print("plan\tcluster\tmodels\tartifact\tours\tours/artifact\tstatus\tmip_gap\tconfigurations\tseconds")
        for f in files {
            let instance: PPipeReference.Instance
            do { instance = try PPipeReference.instance(dir + "/" + f, root: reference, nodeLimit: nodes) } catch {
                throw fail("\(error)", code: 2)
            }
            var plan: PoolPlan
            let kindName = f.hasSuffix("_v4.json") ? "IPIPE" : f.hasSuffix("_bl.json") ? "NP" : "DART-r"
            if kindName == "DART-r" {
                // DART-r starts from the NP plan of the same group (its _bl sibling).
                let blFile = dir + "/" + f.replacingOccurrences(of: "_dart-r.json", with: "_bl.json")
                let bl: PPipeReference.Instance
                do { bl = try PPipeReference.instance(blFile, root: reference, nodeLimit: nodes) } catch { throw fail("\(error)", code: 2) }
                // From the artifact's NP plan: an optimal NP plan's split among the models that are
                // not its minimum is arbitrary, and DART-r's limits depend on it.
                plan = PoolPlanner.plan(bl.models, cluster: bl.cluster, options: bl.options)
                let np: [[PlannedPipeline]]
                do { np = try PPipeReference.pipelines(blFile, instance: bl) } catch { throw fail("\(error)", code: 2) }
                let pipelines = DARTr.plan(instance.models, cluster: instance.cluster, np: np, options: instance.options)
                plan.pipelines = pipelines
                plan.throughput = pipelines.map { $0.reduce(0) { $0 + $1.throughput } }
                plan.objective = zip(plan.throughput, instance.models).map { $0 / $1.weight }.min() ?? 0
                // Its units' plans are tiny; the NP solve above only fills the row's other fields.
                (plan.gap, plan.configurations, plan.seconds) = (nil, 0, 0)
            } else {
                var options = instance.options
                if kindName == "IPIPE" { options.maxStages = maxStages }
                plan = PoolPlanner.plan(instance.models, cluster: instance.cluster, options: options)
            }
            let cluster = instance.cluster.map { "\($0.count) \($0.name)" }.joined(separator: " + ")
            let models = instance.models.map { String($0.name.prefix(while: { $0 != "_" })) }.joined(separator: ",")
            print([kindName, cluster, models, String(format: "%.1f", instance.artifactObjective), String(format: "%.1f", plan.objective),
                   String(format: "%.4f", plan.objective / instance.artifactObjective), plan.status.rawValue,
                   plan.gap.map { String(format: "%.4f", $0) } ?? "-", "\(plan.configurations)",
                   String(format: "%.1f", plan.seconds)].joined(separator: "\t"))
        }
    }
}
