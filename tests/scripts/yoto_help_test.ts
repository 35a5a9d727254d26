/**
 * Each `yoto` command's --help: it lists exactly the flags that command parses (not another
 * command's), and `yoto COMMAND --help` prints that help.
 */
import { assertEquals } from "../_assert.ts";
import { runScript } from "../_shared.ts";
import { YOTO_COMMANDS } from "../../scripts/yoto.ts";

/** The flags a help text defines: option lines start with two spaces and the flag. */
function definedFlags(help: string): string[] {
  return [...help.matchAll(/^ {2}(?:-h, )?--([a-z][a-z-]*)/gm)].map((m) => m[1]).sort();
}

const commands = Object.entries(YOTO_COMMANDS);

Deno.test("each yoto command's help defines exactly its own flags", () => {
  for (const [name, { flags, help }] of commands) {
    assertEquals(definedFlags(help), [...Object.keys(flags), "help"].sort(), name);
  }
  // So no help defines a flag that only another command takes.
  for (const [name, { flags, help }] of commands) {
    const own = definedFlags(help);
    for (const [other, theirs] of commands) {
      const foreign = Object.keys(theirs.flags).filter((f) => !(f in flags));
      assertEquals(foreign.filter((f) => own.includes(f)), [], `${name} help vs ${other}`);
    }
  }
  assertEquals(definedFlags(YOTO_COMMANDS.predict.help).includes("label"), false);
  assertEquals(definedFlags(YOTO_COMMANDS.panel.help), ["help", "model"]);
});

Deno.test("yoto COMMAND --help prints that command's help; yoto --help lists the commands", async () => {
  for (const [name, { help }] of commands) {
    const r = await runScript("scripts/yoto.ts", name, "--help");
    assertEquals(r.code, 0, r.stderr);
    assertEquals(r.stdout.trim(), help.trim(), name);
  }
  const r = await runScript("scripts/yoto.ts", "--help");
  assertEquals(r.code, 0, r.stderr);
  for (const name of Object.keys(YOTO_COMMANDS)) {
    assertEquals(r.stdout.includes(`deno task yoto ${name} --`), true, name);
  }
  assertEquals(r.stdout.includes("deno task yoto COMMAND --help"), true, r.stdout);
});
