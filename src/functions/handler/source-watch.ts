/**
 * Watches a handler's code for `sluice dev`: the module's directory and every one under it but node_modules and
 * hidden ones, since a fresh thread re-imports the module's relative imports too. Node 20's recursive fs.watch
 * would walk node_modules on Linux, a watcher per file; this keeps one per source directory. Watching
 * directories rather than files also follows editors that save by renaming a new file over the old one.
 */
import { type FSWatcher, readdirSync, watch } from "node:fs";
import { basename, dirname, extname, join, relative } from "node:path";

/** How long events must stop before a change is reported: a save, or a build, is a burst of them. */
const SETTLE_MS = 100;
/** The files Node loads as code; logs or data a handler writes beside its module do not count. */
const CODE_EXTENSIONS = new Set([".js", ".mjs", ".cjs", ".json"]);

export interface SourceWatch {
  close(): void;
}

/** Calls onChange with what changed (paths relative to root) each time changes under root have settled. */
export function watchSource(root: string, onChange: (changed: string[]) => void): SourceWatch {
  const watched = new Map<string, FSWatcher>();
  const changed = new Set<string>();
  let timer: NodeJS.Timeout | undefined;

  const schedule = () => {
    clearTimeout(timer);
    timer = setTimeout(settle, SETTLE_MS);
  };
  const settle = () => {
    sync(true);
    if (changed.size === 0) return;
    const paths = [...changed];
    changed.clear();
    onChange(paths);
  };
  /**
   * Watches the directories under root as they are now. One watched since the first look counts as changed:
   * files may have been written in it before it was watched (a build that empties its output first).
   */
  const sync = (reportNew: boolean) => {
    const found = directories(root);
    for (const [dir, watcher] of watched) {
      if (found.has(dir)) continue;
      watcher.close();
      watched.delete(dir);
    }
    for (const dir of found) {
      if (!watched.has(dir)) track(dir, reportNew);
    }
  };
  const track = (dir: string, reportNew: boolean) => {
    const watcher = watchDirectory(dir, (name) => {
      // A watcher follows its directory's inode: once the directory is removed or moved (an event naming
      // itself, or an error), it sees nothing more, so it goes, and the next sync watches what is there anew.
      if (name === null || name === basename(dir)) {
        if (watched.get(dir) === watcher) watched.delete(dir);
        watcher?.close();
      } else if (!name.startsWith(".") && CODE_EXTENSIONS.has(extname(name))) {
        changed.add(relative(root, join(dir, name)));
      }
      schedule();
    });
    if (!watcher) return;
    watched.set(dir, watcher);
    if (reportNew) changed.add(`${relative(root, dir) || "."}/`);
  };

  sync(false);
  // Root removed and made again is seen from its parent.
  const parent = watchDirectory(dirname(root), (name) => {
    if (name === basename(root)) schedule();
  });
  return {
    close() {
      clearTimeout(timer);
      parent?.close();
      for (const watcher of watched.values()) watcher.close();
      watched.clear();
    },
  };
}

/** Watches one directory: onEvent gets the entry an event names, or null for an error (the directory gone). */
function watchDirectory(dir: string, onEvent: (name: string | null) => void): FSWatcher | undefined {
  try {
    return watch(dir, (_event, name) => onEvent(name)).on("error", () => onEvent(null));
  } catch {
    return undefined;
  }
}

/** Root and the directories under it but node_modules and hidden ones; none if root is gone. */
function directories(root: string, found = new Set<string>()): Set<string> {
  try {
    const entries = readdirSync(root, { withFileTypes: true });
    found.add(root);
    for (const entry of entries) {
      if (entry.isDirectory() && entry.name !== "node_modules" && !entry.name.startsWith(".")) {
        directories(join(root, entry.name), found);
      }
    }
  } catch {
    // Removed while walked: the event that says so settles again.
  }
  return found;
}
