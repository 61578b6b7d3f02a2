/// Paths taken apart without `NSString`: swift-corelibs-foundation's `deletingLastPathComponent`
/// traps on a path of one character ("a", "-", "." with Swift 6.3.1), and a command line or a
/// scenario can name any of them.
public enum FilePath {
    /// The folder part of `path`, as `NSString.deletingLastPathComponent` gives it: "" for a bare
    /// name, "/" for a file at the root; trailing and repeated slashes do not count.
    public static func folder(of path: String) -> String {
        var chars = Substring(path)
        while chars.count > 1 && chars.last == "/" { chars = chars.dropLast() }
        guard let slash = chars.lastIndex(of: "/") else { return "" }
        var folder = chars[..<slash]
        while folder.last == "/" { folder = folder.dropLast() }
        return folder.isEmpty ? "/" : String(folder)
    }
}
