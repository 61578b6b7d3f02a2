/// Paths taken apart without `NSString`: swift-corelibs-foundation's `deletingLastPathComponent`
/// traps on a path of one character ("a", "-", "." with Swift 6.3.1), and a command line or a
/// scenario can name any of them.
public enum FilePath {
    /// The folder part of `path`, as `NSString.deletingLastPathComponent` gives it: "" for a bare
    /// name, "/" for a file at the root; trailing and repeated slashes do not count. Split on the
    /// byte '/', as the system does (not on characters: a '/' before a combining mark is still one).
    public static func folder(of path: String) -> String {
        let slash = UInt8(ascii: "/")
        var bytes = Array(path.utf8)
        while bytes.count > 1 && bytes.last == slash { bytes.removeLast() }
        guard let last = bytes.lastIndex(of: slash) else { return "" }
        var end = last
        while end > 0 && bytes[end - 1] == slash { end -= 1 }
        return end == 0 ? "/" : String(decoding: bytes[..<end], as: UTF8.self)
    }
}
