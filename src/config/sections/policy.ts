import { z } from 'zod';

// The action gate's issue fills this section in: risk classes, role permissions, approvers.
export const policySection = z.strictObject({}).describe('Who may do what, and who approves.');
