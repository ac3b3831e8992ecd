import { describe, expect, it } from 'vitest';
import { homeassistantSection, normalizeHomeAssistantUrl } from '../../src/config/sections/homeassistant.js';

/** The wizard and the settings take what people type: "homeassistant.local" is Home Assistant's usual address. */
describe('homeassistant.url as people type it', () => {
  it('adds http:// and :8123 to a bare host, keeps any URL with a scheme, refuses the rest', () => {
    const url = (v: string) => homeassistantSection.parse({ url: v }).url;
    expect(url('homeassistant.local')).toBe('http://homeassistant.local:8123');
    expect(url(' homeassistant.local ')).toBe('http://homeassistant.local:8123');
    expect(url('192.168.1.20:8123')).toBe('http://192.168.1.20:8123');
    expect(url('ha.example.net/prefix')).toBe('http://ha.example.net:8123/prefix');
    expect(url('https://ha.example.net')).toBe('https://ha.example.net');
    expect(url('http://homeassistant.local:8123')).toBe('http://homeassistant.local:8123');
    expect(homeassistantSection.safeParse({ url: 'ftp://ha.local' }).success).toBe(false);
    expect(homeassistantSection.safeParse({ url: 'not a host' }).success).toBe(false);
    expect(normalizeHomeAssistantUrl(undefined)).toBeUndefined();
  });
});
