import Ship
import TestSupport
import Testing

/// Words quoted for the remote shell reach it unchanged, checked by a real shell.
@Suite struct ShellQuoteTests {
    @Test(arguments: ["plain", "it's", "$(touch x)", "`id`", "a b\tc\nd", "'; rm -rf / #", "\\", "\"$HOME\"", ""])
    func quotedWordsReachTheShellUnchanged(_ word: String) throws {
        let r = try TS.run("/bin/sh", ["-c", "printf %s " + ShellQuote.quote(word)])
        #expect(r.status == 0)
        #expect(r.stdout == word)
    }
}
