import CGLPK
import Foundation

/// A mixed-integer linear program as plain data: variables with bounds, kinds and objective
/// coefficients, and linear constraints with lower and upper bounds. `GLPKSolver` solves it.
public struct LinearProgram: Sendable {
    public enum Kind: Sendable { case continuous, integer, binary }

    public struct Variable: Sendable {
        public var lower: Double?
        public var upper: Double?
        public var kind: Kind
        public var objective: Double
    }

    public struct Constraint: Sendable {
        public var terms: [(variable: Int, coefficient: Double)]
        public var lower: Double?
        public var upper: Double?
    }

    public var variables: [Variable] = []
    public var constraints: [Constraint] = []
    public var maximize = false

    public init(maximize: Bool = false) { self.maximize = maximize }

    /// Adds a variable and returns its index.
    @discardableResult
    public mutating func add(_ kind: Kind, lower: Double? = 0, upper: Double? = nil, objective: Double = 0) -> Int {
        variables.append(Variable(lower: kind == .binary ? 0 : lower, upper: kind == .binary ? 1 : upper, kind: kind, objective: objective))
        return variables.count - 1
    }

    /// Adds lower ≤ Σ coefficient · variable ≤ upper (either bound may be absent).
    public mutating func constrain(_ terms: [(Int, Double)], lower: Double? = nil, upper: Double? = nil) {
        constraints.append(Constraint(terms: terms.map { (variable: $0.0, coefficient: $0.1) }, lower: lower, upper: upper))
    }
}

/// What a solve found. `objective` and `values` are meaningful for `optimal` and `feasible`.
public struct MILPSolution: Sendable {
    public enum Status: String, Sendable { case optimal, feasible, infeasible, failed }
    public var status: Status
    public var objective: Double
    public var values: [Double]
    /// Wall-clock seconds: recorded, never part of a result that must be reproducible.
    public var seconds: Double
    /// Relative gap between the plan and the best bound: 0 when proven optimal, the solver's
    /// gap when a node limit stopped it, nil otherwise.
    public var gap: Double?
}

/// GLPK's branch and cut, run to proven optimality (no time limit, one thread), so that a plan
/// depends only on the program: the same program gives the same solution in every process. A
/// node limit stops it early at the best plan found so far, deterministically (a count, not a
/// clock).
public enum GLPKSolver {
    /// What the branch-and-bound callback reads: the node limit.
    private final class Limit {
        let nodes: Int32
        var gap: Double?
        init(nodes: Int32) { self.nodes = nodes }
    }

    public static func solve(_ program: LinearProgram, nodeLimit: Int? = nil) -> MILPSolution {
        let start = Date()
        glp_term_out(GLP_OFF)
        guard let lp = glp_create_prob() else { return MILPSolution(status: .failed, objective: 0, values: [], seconds: 0) }
        defer { glp_delete_prob(lp) }
        glp_set_obj_dir(lp, program.maximize ? GLP_MAX : GLP_MIN)
        let n = program.variables.count, m = program.constraints.count
        if n > 0 { glp_add_cols(lp, Int32(n)) }
        if m > 0 { glp_add_rows(lp, Int32(m)) }
        func bounds(_ lower: Double?, _ upper: Double?) -> (Int32, Double, Double) {
            switch (lower, upper) {
            case (nil, nil): return (GLP_FR, 0, 0)
            case (let l?, nil): return (GLP_LO, l, 0)
            case (nil, let u?): return (GLP_UP, 0, u)
            case (let l?, let u?): return (l == u ? GLP_FX : GLP_DB, l, u)
            }
        }
        for (j, v) in program.variables.enumerated() {
            let col = Int32(j + 1)
            let (type, l, u) = bounds(v.lower, v.upper)
            glp_set_col_bnds(lp, col, type, l, u)
            glp_set_obj_coef(lp, col, v.objective)
            switch v.kind {
            case .continuous: glp_set_col_kind(lp, col, GLP_CV)
            case .integer: glp_set_col_kind(lp, col, GLP_IV)
            case .binary: glp_set_col_kind(lp, col, GLP_BV)
            }
        }
        // GLPK's arrays are 1-based: index 0 is unused.
        var ia: [Int32] = [0], ja: [Int32] = [0], ar: [Double] = [0]
        for (i, c) in program.constraints.enumerated() {
            let (type, l, u) = bounds(c.lower, c.upper)
            glp_set_row_bnds(lp, Int32(i + 1), type, l, u)
            // GLPK aborts on a variable named twice in a row: merge them, in order of first use.
            var merged: [(variable: Int, coefficient: Double)] = []
            for t in c.terms {
                precondition(program.variables.indices.contains(t.variable), "constraint \(i) names variable \(t.variable), which does not exist")
                if let k = merged.firstIndex(where: { $0.variable == t.variable }) { merged[k].coefficient += t.coefficient } else { merged.append(t) }
            }
            for t in merged where t.coefficient != 0 {
                ia.append(Int32(i + 1))
                ja.append(Int32(t.variable + 1))
                ar.append(t.coefficient)
            }
        }
        if ia.count > 1 { glp_load_matrix(lp, Int32(ia.count - 1), &ia, &ja, &ar) }
        var parm = glp_iocp()
        glp_init_iocp(&parm)
        parm.presolve = GLP_ON
        parm.msg_lev = GLP_MSG_OFF
        let limit = nodeLimit.map { Limit(nodes: Int32(clamping: $0)) }
        if let limit {
            parm.cb_info = Unmanaged.passUnretained(limit).toOpaque()
            parm.cb_func = { tree, info in
                guard let tree, let info else { return }
                let limit = Unmanaged<Limit>.fromOpaque(info).takeUnretainedValue()
                var active: Int32 = 0, current: Int32 = 0, total: Int32 = 0
                glp_ios_tree_size(tree, &active, &current, &total)
                if total >= limit.nodes {
                    limit.gap = glp_ios_mip_gap(tree)
                    glp_ios_terminate(tree)
                }
            }
        }
        let code = withExtendedLifetime(limit) { glp_intopt(lp, &parm) }
        let seconds = Date().timeIntervalSince(start)
        guard code == 0 || code == GLP_ENOPFS || code == GLP_ENODFS || code == GLP_ESTOP else {
            return MILPSolution(status: .failed, objective: 0, values: [], seconds: seconds)
        }
        let status = glp_mip_status(lp)
        let values = (0..<n).map { glp_mip_col_val(lp, Int32($0 + 1)) }
        switch status {
        case GLP_OPT: return MILPSolution(status: .optimal, objective: glp_mip_obj_val(lp), values: values, seconds: seconds, gap: 0)
        case GLP_FEAS:
            return MILPSolution(status: .feasible, objective: glp_mip_obj_val(lp), values: values, seconds: seconds, gap: limit?.gap)
        case GLP_NOFEAS: return MILPSolution(status: .infeasible, objective: 0, values: [], seconds: seconds)
        default:
            return MILPSolution(status: code == GLP_ENOPFS ? .infeasible : .failed, objective: 0, values: [], seconds: seconds)
        }
    }
}
