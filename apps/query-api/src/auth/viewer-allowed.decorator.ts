import { SetMetadata } from '@nestjs/common';

export const VIEWER_ALLOWED = 'vigil:viewer-allowed';

/**
 * Marks a resolver or controller (class or method) a viewer token may call. The guard refuses a viewer everywhere
 * else with FORBIDDEN, so a resolver added later is closed to viewer tokens until it is marked here.
 */
export const ViewerAllowed = (): MethodDecorator & ClassDecorator => SetMetadata(VIEWER_ALLOWED, true);
