import ArgumentParser
import Foundation
import IPIPE

struct IPIPEPlans: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ipipe-plans",
        abstract: "Plan PPipe's reference instances with IPIPE's MILP and compare with the artifact's plans.",
        discussion: """
            Reads each plan file of the PPipe artifact (plans/maf19 under --reference: IPIPE's \
            `_v4` plans and the NP baseline's `_bl` plans), plans the same models on the same \
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

    @Option(help: "Which plans: v4 (IPIPE), bl (NP), or all.")
    var kind: String = "all"

    @Option(help: "Branch-and-bound nodes after which the solver keeps its best plan (a count, so the stop is the same on every machine).")
    var nodeLimit: Int = 50_000

    func validate() throws {
        guard ["v4", "bl", "all"].contains(kind) else { throw ValidationError("--kind: expected v4, bl or all, got \(kind)") }
        guard nodeLimit > 0 else { throw ValidationError("--node-limit: expected a positive count") }
    }

    func run() throws {
        let dir = reference + "/plans/maf19"
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: dir) else {
            throw fail("--reference: \(dir) cannot be read (expected the PPipe reference data, with plans/maf19)", code: 2)
        }
        let files = names.sorted().filter { n in
            n.hasSuffix(".json") && (kind == "all" ? (n.hasSuffix("_v4.json") || n.hasSuffix("_bl.json")) : n.hasSuffix("_\(kind).json"))
                && (only.map { n.contains($0) } ?? true)
        }
        if files.isEmpty { throw fail("no plan file in \(dir) matches --only \(only ?? "") --kind \(kind)", code: 2) }
        print("plan\tcluster\tmodels\tartifact\tours\tours/artifact\tstatus\tconfigurations\tseconds")
        for f in files {
            let instance: PPipeReference.Instance
            do { instance = try PPipeReference.instance(dir + "/" + f, root: reference, nodeLimit: nodeLimit) } catch {
                throw fail("\(error)", code: 2)
            }
            let plan = PoolPlanner.plan(instance.models, cluster: instance.cluster, options: instance.options)
            let kindName = f.hasSuffix("_v4.json") ? "IPIPE" : "NP"
            let cluster = instance.cluster.map { "\($0.count) \($0.name)" }.joined(separator: " + ")
            let models = instance.models.map { String($0.name.prefix(while: { $0 != "_" })) }.joined(separator: ",")
            print([kindName, cluster, models, String(format: "%.1f", instance.artifactObjective), String(format: "%.1f", plan.objective),
                   String(format: "%.4f", plan.objective / instance.artifactObjective), plan.status.rawValue, "\(plan.configurations)",
                   String(format: "%.1f", plan.seconds)].joined(separator: "\t"))
        }
    }
}
