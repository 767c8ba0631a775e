export * from './glidePipelines'
export * from './clipGuided'
