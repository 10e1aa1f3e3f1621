/**
 * How an Electron app's names map to Bulwark's: the release name a product is published
 * under, and the channel an electron-builder feed file stands for. One home, shared by the
 * publisher (`release add-electron`) and `@bulwark/electron`, so both sides agree.
 */

/** electron-builder's default channel (`latest.yml`): Bulwark's default channel, `stable`. */
export const ELECTRON_DEFAULT_CHANNEL = "latest";

/**
 * The Bulwark release name of an Electron product name (`productName`, `app.getName()`):
 * lowercased, each run of characters other than letters, digits, `.`, `_` and `-` made one
 * `-` (`My App` → `my-app`). Empty when nothing is left.
 */
export function releaseNameFor(productName: string): string {
  return productName
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, "-")
    .replace(/^[-._]+|[-._]+$/g, "");
}

/** The Bulwark channel of an electron-builder channel: `latest` is `stable`, others keep their name. */
export function channelFor(electronChannel: string): string {
  return electronChannel === ELECTRON_DEFAULT_CHANNEL ? "stable" : electronChannel;
}
