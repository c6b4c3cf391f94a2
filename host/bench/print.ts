// `npm run bench`: the tables every part prints.

export function fmt(x: number | undefined, d = 1): string {
    return x === undefined || Number.isNaN(x) ? "-" : x.toFixed(d)
}

export function table(rows: string[][], align?: ("l" | "r")[]): string {
    const w = rows[0].map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length)))
    return rows
        .map((r) => r.map((c, i) => ((align?.[i] ?? (i === 0 ? "l" : "r")) === "l" ? c.padEnd(w[i]) : c.padStart(w[i]))).join("  "))
        .join("\n")
}
