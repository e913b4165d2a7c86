/**
 * How `npm start` talks to a person: numbered chapters, steps with a tick or a cross, and a
 * summary at the end. A failed step is reported and the walkthrough goes on with the next
 * chapter, so one problem does not hide the others; the exit code says whether all passed.
 */
import { styleText } from 'node:util';

export interface StepResult {
  chapter: string;
  step: string;
  ok: boolean;
  detail?: string;
}

export interface Narrator {
  chapter(title: string, intro: string): void;
  /** Run one step; its return value (a short sentence) is printed as the detail. */
  step(title: string, run: () => Promise<string | undefined>): Promise<boolean>;
  note(text: string): void;
  results(): readonly StepResult[];
  summary(): boolean;
}

export function createNarrator(write: (text: string) => void = (t) => process.stdout.write(t)): Narrator {
  const color = process.stdout.isTTY === true && process.env.NO_COLOR === undefined;
  const paint = (style: Parameters<typeof styleText>[0], text: string) =>
    color ? styleText(style, text, { validateStream: false }) : text;
  const results: StepResult[] = [];
  let chapter = '';
  let number = 0;
  return {
    chapter(title, intro) {
      number += 1;
      chapter = title;
      write(`\n${paint('bold', `${number}. ${title}`)}\n${paint('dim', intro)}\n`);
    },
    async step(title, run) {
      const started = Date.now();
      try {
        const detail = await run();
        const seconds = ((Date.now() - started) / 1000).toFixed(1);
        write(`  ${paint('green', '✔')} ${title} ${paint('dim', `(${seconds}s)`)}\n`);
        if (detail) write(`    ${paint('dim', detail.replace(/\n/g, '\n    '))}\n`);
        results.push({ chapter, step: title, ok: true, ...(detail ? { detail } : {}) });
        return true;
      } catch (error) {
        const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
        write(`  ${paint('red', '✘')} ${title}\n    ${paint('red', message)}\n`);
        results.push({ chapter, step: title, ok: false, detail: message });
        return false;
      }
    },
    note(text) {
      write(`    ${paint('dim', text)}\n`);
    },
    results: () => results,
    summary() {
      const failed = results.filter((r) => !r.ok);
      write(`\n${paint('bold', 'Summary')}\n`);
      const chapters = [...new Set(results.map((r) => r.chapter))];
      for (const name of chapters) {
        const steps = results.filter((r) => r.chapter === name);
        const ok = steps.every((r) => r.ok);
        write(
          `  ${ok ? paint('green', '✔') : paint('red', '✘')} ${name}: ${steps.filter((r) => r.ok).length}/${steps.length} steps\n`,
        );
      }
      write(
        failed.length === 0
          ? `\nEvery step did what it should (${results.length} steps).\n`
          : `\n${failed.length} of ${results.length} steps failed:\n${failed.map((f) => `  - ${f.chapter} › ${f.step}: ${f.detail}`).join('\n')}\n`,
      );
      return failed.length === 0;
    },
  };
}
