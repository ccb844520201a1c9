/// Chat formatting for the templates Sluice understands. SmolLM2 (and most small models)
/// use ChatML: `<|im_start|>role\ncontent<|im_end|>\n`, with a default system message when
/// the conversation starts without one; that message is read from the template text.
public struct ChatTemplate: Sendable {
    public var defaultSystem: String?

    /// Recognises ChatML in a Jinja `tokenizer.chat_template`; nil for other templates.
    public init?(jinja: String?) {
        guard let t = jinja, t.contains("<|im_start|>") else { return nil }
        // The newline after "system" may be a real one or a Jinja escape.
        for marker in ["<|im_start|>system\n", "<|im_start|>system\\n"] {
            if let r = t.range(of: marker), let end = t[r.upperBound...].range(of: "<|im_end|>") {
                defaultSystem = String(t[r.upperBound..<end.lowerBound])
                break
            }
        }
    }

    /// The text for one user turn; `first` adds the default system message.
    public func userTurn(_ content: String, first: Bool) -> String {
        var s = ""
        if first, let sys = defaultSystem { s += "<|im_start|>system\n\(sys)<|im_end|>\n" }
        return s + "<|im_start|>user\n\(content)<|im_end|>\n<|im_start|>assistant\n"
    }

    public let endOfTurn = "<|im_end|>"
}
