import type { settingLeaves, sectionDescriptions } from '../src/config/introspect.js';

export declare function renderConfigDocs(introspect: { settingLeaves: typeof settingLeaves; sectionDescriptions: typeof sectionDescriptions }): string;
export declare const CONFIG_DOCS: string;
