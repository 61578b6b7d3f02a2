import Foundation

/// Small charts as inline SVG text, for self-contained HTML reports: no scripts, no fonts or
/// styles fetched, every drawn series or bar marked `class="mark"` (what the rendering test counts).
public enum SVGChart {
    public struct Series: Sendable {
        public var name: String
        public var points: [(x: Double, y: Double)]
        public init(name: String, points: [(x: Double, y: Double)]) {
            self.name = name
            self.points = points
        }
    }

    public struct Bar: Sendable {
        public var label: String
        public var value: Double
        /// A 95 % interval, where the figure has one.
        public var low: Double?
        public var high: Double?
        public init(label: String, value: Double, low: Double? = nil, high: Double? = nil) {
            self.label = label
            self.value = value
            self.low = low
            self.high = high
        }
    }

    static let palette = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"]
    static let width = 640.0, height = 300.0
    static let margin = (left: 64.0, right: 16.0, top: 28.0, bottom: 44.0)

    public static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    static func number(_ v: Double) -> String {
        if v == 0 { return "0" }
        let a = abs(v)
        if a >= 1e5 || a < 1e-3 { return String(format: "%.2g", v) }
        if a >= 100 { return String(format: "%.0f", v) }
        if a >= 10 { return String(format: "%.1f", v) }
        return String(format: "%.3g", v)
    }

    /// Round tick values covering [low, high].
    static func ticks(_ low: Double, _ high: Double, count: Int = 5) -> [Double] {
        guard high > low else { return [low] }
        let raw = (high - low) / Double(count)
        let magnitude = pow(10, floor(log10(raw)))
        let step = [1.0, 2, 5, 10].map { $0 * magnitude }.first { $0 >= raw } ?? raw
        var t = (low / step).rounded(.down) * step, out: [Double] = []
        while t <= high + step * 1e-9 { out.append(t); t += step }
        return out
    }

    static func frame(_ title: String, x: (Double, Double), y: (Double, Double), xLabel: String, yLabel: String, xTicks: Bool = true,
                      body: (_ px: (Double) -> Double, _ py: (Double) -> Double) -> String) -> String {
        let plotW = width - margin.left - margin.right, plotH = height - margin.top - margin.bottom
        let px = { (v: Double) in margin.left + (x.1 > x.0 ? (v - x.0) / (x.1 - x.0) : 0.5) * plotW }
        let py = { (v: Double) in margin.top + plotH - (y.1 > y.0 ? (v - y.0) / (y.1 - y.0) : 0.5) * plotH }
        var svg = #"<svg xmlns="http://www.w3.org/2000/svg" width="\#(Int(width))" height="\#(Int(height))" viewBox="0 0 \#(Int(width)) \#(Int(height))" role="img" aria-label="\#(escape(title))">"#
        svg += #"<text x="\#(width / 2)" y="16" text-anchor="middle" font-size="13" font-weight="bold">\#(escape(title))</text>"#
        for t in ticks(y.0, y.1) where t >= y.0 - 1e-12 && t <= y.1 + 1e-12 {
            svg += #"<line x1="\#(margin.left)" x2="\#(width - margin.right)" y1="\#(py(t))" y2="\#(py(t))" stroke='#ddd'/>"#
            svg += #"<text x="\#(margin.left - 4)" y="\#(py(t) + 4)" text-anchor="end" font-size="10">\#(number(t))</text>"#
        }
        for t in ticks(x.0, x.1) where xTicks && t >= x.0 - 1e-12 && t <= x.1 + 1e-12 {
            svg += #"<text x="\#(px(t))" y="\#(height - margin.bottom + 14)" text-anchor="middle" font-size="10">\#(number(t))</text>"#
        }
        svg += #"<line x1="\#(margin.left)" x2="\#(margin.left)" y1="\#(margin.top)" y2="\#(height - margin.bottom)" stroke='#333'/>"#
        svg += #"<line x1="\#(margin.left)" x2="\#(width - margin.right)" y1="\#(height - margin.bottom)" y2="\#(height - margin.bottom)" stroke='#333'/>"#
        svg += #"<text x="\#(margin.left + plotW / 2)" y="\#(height - 8)" text-anchor="middle" font-size="11">\#(escape(xLabel))</text>"#
        svg += #"<text x="14" y="\#(margin.top + plotH / 2)" text-anchor="middle" font-size="11" transform="rotate(-90 14 \#(margin.top + plotH / 2))">\#(escape(yLabel))</text>"#
        svg += body(px, py)
        return svg + "</svg>"
    }

    /// Lines of several series on shared axes, with a legend.
    public static func lines(_ title: String, _ series: [Series], xLabel: String, yLabel: String,
                             yRange: (Double, Double)? = nil) -> String {
        let xs = series.flatMap { $0.points.map(\.x) }, ys = series.flatMap { $0.points.map(\.y) }
        guard let x0 = xs.min(), let x1 = xs.max() else { return "<p>No data for " + escape(title) + ".</p>" }
        let y = yRange ?? (min(0, ys.min() ?? 0), max(ys.max() ?? 1, 1e-12))
        return frame(title, x: (x0, x1), y: y, xLabel: xLabel, yLabel: yLabel) { px, py in
            var out = ""
            for (i, s) in series.enumerated() {
                let color = palette[i % palette.count]
                var d = ""
                for (k, p) in s.points.enumerated() {
                    d += (k == 0 ? "M" : " L") + "\(px(p.x)),\(py(p.y))"
                }
                out += #"<path class="mark" d="\#(d)" fill="none" stroke="\#(color)" stroke-width="1.6"><title>\#(escape(s.name))</title></path>"#
                if s.points.count == 1 { out += #"<circle class="mark" cx="\#(px(s.points[0].x))" cy="\#(py(s.points[0].y))" r="3" fill="\#(color)"/>"# }
                let ly = margin.top + 4 + Double(i) * 13
                if i < 12 {
                    out += #"<rect x="\#(width - margin.right - 150)" y="\#(ly)" width="10" height="3" fill="\#(color)"/>"#
                    out += #"<text x="\#(width - margin.right - 136)" y="\#(ly + 5)" font-size="10">\#(escape(String(s.name.prefix(24))))</text>"#
                }
            }
            return out
        }
    }

    /// Bars with their 95 % intervals where given.
    public static func bars(_ title: String, _ bars: [Bar], yLabel: String) -> String {
        guard !bars.isEmpty else { return "<p>No data for " + escape(title) + ".</p>" }
        let top = bars.map { max($0.value, $0.high ?? $0.value) }.max() ?? 1
        let bottom = min(0, bars.map { min($0.value, $0.low ?? $0.value) }.min() ?? 0)
        // Many bars are numbered by their position (the table below names them).
        let numbered = bars.count > 10
        return frame(title, x: (0, Double(bars.count)), y: (bottom, top > bottom ? top : bottom + 1),
                     xLabel: numbered ? "point (see the table)" : "", yLabel: yLabel, xTicks: false) { px, py in
            var out = ""
            let w = (px(1) - px(0)) * 0.7
            for (i, b) in bars.enumerated() {
                let cx = px(Double(i) + 0.5)
                let (y0, y1) = (py(max(b.value, 0)), py(min(b.value, 0)))
                out += #"<rect class="mark" x="\#(cx - w / 2)" y="\#(y0)" width="\#(w)" height="\#(max(y1 - y0, 0.5))" fill="\#(palette[i % palette.count])"><title>\#(escape(b.label)): \#(number(b.value))</title></rect>"#
                if let lo = b.low, let hi = b.high {
                    out += #"<line x1="\#(cx)" x2="\#(cx)" y1="\#(py(lo))" y2="\#(py(hi))" stroke='#000'/>"#
                    out += #"<line x1="\#(cx - 5)" x2="\#(cx + 5)" y1="\#(py(lo))" y2="\#(py(lo))" stroke='#000'/><line x1="\#(cx - 5)" x2="\#(cx + 5)" y1="\#(py(hi))" y2="\#(py(hi))" stroke='#000'/>"#
                }
                let label = numbered ? String(i) : String(b.label.prefix(18))
                out += #"<text x="\#(cx)" y="\#(height - margin.bottom + (numbered ? 14 : 26))" text-anchor="middle" font-size="9">\#(escape(label))</text>"#
            }
            return out
        }
    }
}
