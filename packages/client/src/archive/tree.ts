/**
 * The tree of what an extraction has written, in memory: one node per path, children by
 * name. Every decision about an entry's path is made here before the file system is
 * touched, in time linear in the path's length whatever the archive's shape.
 */
import { linkOutside, unsafe } from "./entry-path.js";
import { ARCHIVE_ERRORS, ArchiveError } from "./errors.js";
import { MAX_LINK_RESOLUTION_STEPS, MAX_SYMLINK_HOPS } from "./limits.js";

/** One path in the tree. */
export interface TreeNode {
  readonly kind: "directory" | "file" | "symlink";
  /** False for a directory made only as the parent of other entries. */
  explicit: boolean;
  mtime: Date | undefined;
  /** A symbolic link's target. */
  readonly target: string | undefined;
  /** A directory's children by name, and by case- and normalization-folded name. */
  readonly children: Map<string, TreeNode> | undefined;
  readonly folded: Set<string> | undefined;
}

/** A new node; directories get their child maps. */
export function treeNode(kind: TreeNode["kind"], explicit: boolean, mtime?: Date, target?: string): TreeNode {
  const dir = kind === "directory";
  return {
    kind,
    explicit,
    mtime,
    target,
    children: dir ? new Map() : undefined,
    folded: dir ? new Set() : undefined,
  };
}

/** A name as case-insensitive file systems compare it (close to APFS, NTFS: NFC, lower case). */
function fold(name: string): string {
  return name.normalize("NFC").toLowerCase();
}

function joined(segments: readonly string[], end = segments.length): string {
  return JSON.stringify(segments.slice(0, end).join("/"));
}

export class EntryTree {
  readonly root = treeNode("directory", true);
  private resolutionSteps = 0;

  /** The node at `segments`, if any. */
  get(segments: readonly string[]): TreeNode | undefined {
    let node: TreeNode | undefined = this.root;
    for (const s of segments) node = node?.children?.get(s);
    return node;
  }

  /**
   * The directory that will hold `segments`, creating missing parents (each created on disk
   * first through `mkdir`, given how many segments it spans).
   * @throws {ArchiveError} `ARCHIVE_UNSAFE_PATH` for a parent that is a file or a symbolic link.
   */
  async parentOf(
    name: string,
    segments: readonly string[],
    mkdir: (depth: number) => Promise<void>,
  ): Promise<TreeNode> {
    let node = this.root;
    for (let i = 0; i < segments.length - 1; i++) {
      const segment = segments[i] as string;
      let child = node.children?.get(segment);
      if (child === undefined) {
        await mkdir(i + 1);
        child = treeNode("directory", false);
        this.add(node, segment, child);
      } else if (child.kind === "symlink") {
        throw unsafe(name, `would be written through the symbolic link ${joined(segments, i + 1)}`);
      } else if (child.kind === "file") {
        throw unsafe(name, `would be written inside the file ${joined(segments, i + 1)}`);
      }
      node = child;
    }
    return node;
  }

  /** Adds `child` under `parent` as `name`. */
  add(parent: TreeNode, name: string, child: TreeNode): void {
    parent.children?.set(name, child);
    parent.folded?.add(fold(name));
  }

  /**
   * Resolves a link target from the directory `base` through the tree, following the
   * links in it like the kernel would; components that do not exist are taken lexically
   * (the kernel would fail on them, so that is the conservative reading).
   * @returns the resolved node (undefined when it does not exist).
   * @throws {ArchiveError} `ARCHIVE_UNSAFE_PATH` when any step leaves the root, on a link
   * loop, or on a name that exists only in another case (on a case-insensitive file system
   * it would be that entry, maybe a link); `ARCHIVE_TOO_LARGE` past {@link MAX_LINK_RESOLUTION_STEPS}.
   */
  resolveLink(name: string, base: readonly string[], target: string): TreeNode | undefined {
    // The resolved path as a stack of nodes (undefined: a component that does not exist).
    const stack: Array<TreeNode | undefined> = [];
    let node: TreeNode | undefined = this.root;
    for (const s of base) {
      node = node?.children?.get(s);
      stack.push(node);
    }
    // Components still to walk, last first.
    const pending = target.split("/").reverse();
    let hops = 0;
    for (let part = pending.pop(); part !== undefined; part = pending.pop()) {
      this.resolutionSteps += 1;
      if (this.resolutionSteps > MAX_LINK_RESOLUTION_STEPS) {
        throw new ArchiveError(ARCHIVE_ERRORS.TOO_LARGE, `the archive's links take too long to resolve, at ${name}`);
      }
      if (part === "" || part === ".") continue;
      if (part === "..") {
        if (stack.length === 0) throw linkOutside(name, target);
        stack.pop();
        continue;
      }
      const parent = stack.length === 0 ? this.root : stack[stack.length - 1];
      const child = parent?.children?.get(part);
      if (child === undefined && parent?.folded?.has(fold(part))) {
        throw unsafe(
          name,
          `has a link target that differs only in case from another entry, at ${JSON.stringify(part)}`,
        );
      }
      if (child?.kind === "symlink" && child.target !== undefined) {
        hops += 1;
        if (hops > MAX_SYMLINK_HOPS)
          throw unsafe(name, `is a link to ${JSON.stringify(target)} through a loop of links`);
        const more = child.target.split("/");
        for (let i = more.length - 1; i >= 0; i--) pending.push(more[i] as string);
        continue;
      }
      stack.push(child);
    }
    return stack.length === 0 ? this.root : stack[stack.length - 1];
  }

  /** Every directory below the root with its segments, children before parents. */
  directories(): Array<{ segments: string[]; node: TreeNode }> {
    const out: Array<{ segments: string[]; node: TreeNode }> = [];
    const visit = (node: TreeNode, segments: string[]) => {
      for (const [childName, child] of node.children ?? []) {
        if (child.kind !== "directory") continue;
        const childSegments = [...segments, childName];
        visit(child, childSegments);
        out.push({ segments: childSegments, node: child });
      }
    };
    visit(this.root, []);
    return out;
  }
}
