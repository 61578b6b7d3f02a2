/// "Did you mean …?" for misspelt keys and names.
public enum Suggestion {
    /// The valid word nearest to `word` by edit distance (case-insensitive), if it is close enough
    /// to be a plausible typo.
    public static func nearest(_ word: String, in candidates: [String]) -> String? {
        let lower = word.lowercased()
        var best: (String, Int)?
        for candidate in candidates {
            let d = editDistance(lower, candidate.lowercased())
            if best == nil || d < best!.1 { best = (candidate, d) }
        }
        guard let (candidate, distance) = best else { return nil }
        let limit = max(2, min(word.count, candidate.count) / 2)
        let related = candidate.lowercased().contains(lower) || lower.contains(candidate.lowercased())
        return distance <= limit || related ? candidate : nil
    }

    public static func unknownKey(_ key: String, valid: [String]) -> String {
        if let near = nearest(key, in: valid) { return "unknown key; did you mean \"\(near)\"?" }
        return "unknown key; valid keys here are \(valid.map { "\"\($0)\"" }.joined(separator: ", "))"
    }

    /// For names looked up in a registry: policies, models, servers.
    public static func unknownName(_ name: String, kind: String, valid: [String]) -> String {
        let known = valid.map { "\"\($0)\"" }.joined(separator: ", ")
        if let near = nearest(name, in: valid) {
            return "unknown \(kind) \"\(name)\"; did you mean \"\(near)\"? (known: \(known))"
        }
        return "unknown \(kind) \"\(name)\"; known: \(known)"
    }

    /// Levenshtein distance with transpositions counted as one edit (optimal string alignment).
    public static func editDistance(_ a: String, _ b: String) -> Int {
        let x = Array(a.unicodeScalars), y = Array(b.unicodeScalars)
        if x.isEmpty { return y.count }
        if y.isEmpty { return x.count }
        var d = Array(repeating: Array(repeating: 0, count: y.count + 1), count: x.count + 1)
        for i in 0...x.count { d[i][0] = i }
        for j in 0...y.count { d[0][j] = j }
        for i in 1...x.count {
            for j in 1...y.count {
                let cost = x[i - 1] == y[j - 1] ? 0 : 1
                d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
                if i > 1, j > 1, x[i - 1] == y[j - 2], x[i - 2] == y[j - 1] {
                    d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
                }
            }
        }
        return d[x.count][y.count]
    }

    /// Text quoted in a message, cut to `limit` characters so that a huge value cannot flood it.
    public static func shorten(_ text: String, limit: Int = 60) -> String {
        text.count <= limit ? text : String(text.prefix(limit)) + "… (\(text.count) characters)"
    }

    /// A number as a person would write it: no trailing ".0" on integers.
    public static func format(_ d: Double) -> String {
        if d == d.rounded(), abs(d) < 1e15 { return String(Int64(d)) }
        return "\(d)"
    }
}
